import BerthModel
import CLinux
import Foundation
import HostOS
import RuntimeKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The files of one interactive exec, in the container's `exec` directory.
struct ExecFiles: Sendable {
    let directory: String
    let name: String
    var process: String { directory + "/" + name + ".json" }
    var pid: String { directory + "/" + name + ".pid" }
    var log: String { directory + "/" + name + ".log" }
    var socket: String { directory + "/" + name + ".sock" }

    func remove() {
        for path in [process, pid, log, socket] { unlink(path) }
    }
}

/// One interactive exec: crun's process (`crun exec`, not waited for),
/// the process's pty master or its pipes, and the relay between them and
/// a client's `ProcessIO`. berthd holds the master: an exec lives as long
/// as berthd does, as docker's does without live-restore.
final class ExecSession: Sendable {
    /// crun's pid; crun exits with the process's status.
    let crun: Int32
    /// A pidfd of crun: readable once it has exited.
    let crunFD: Int32
    /// Where input goes: the pty master, the stdin socket, or -1.
    let input: Int32
    /// What is read: the master (tty), or stdout then stderr.
    let outputs: [Int32]
    let tty: Bool
    let files: ExecFiles
    /// Input is written here, in order, off Swift's cooperative threads
    /// (a process that does not read would block the writer).
    private let writer = DispatchQueue(label: "berth.exec.input")

    private init(crun: Int32, input: Int32, outputs: [Int32], tty: Bool, files: ExecFiles) {
        self.crun = crun
        self.crunFD = berth_pidfd_open(crun, 0)
        self.input = input
        self.outputs = outputs
        self.tty = tty
        self.files = files
    }

    /// Starts crun for the process in `files.process`. With `tty` the
    /// process's pty master is received on a console socket before this
    /// returns; when crun fails before sending it, the session has nothing
    /// to relay and `relay` reports crun's status.
    static func start(
        runtime: any OCIRuntime, id: ContainerID, files: ExecFiles, tty: Bool, stdin: Bool,
        size: (rows: UInt16, columns: UInt16)? = nil
    ) throws -> ExecSession {
        let err = try ChildProcess.socketPair()
        var descriptors: [(Int32, Int32)] = [(err.1, 2)]
        var theirs = [err.1]
        var ours = [err.0]
        var input: Int32 = -1
        var outputs: [Int32] = []
        if !tty {
            let out = try ChildProcess.socketPair()
            descriptors.append((out.1, 1))
            theirs.append(out.1)
            ours.append(out.0)
            outputs = [out.0, err.0]
            if stdin {
                let inp = try ChildProcess.socketPair()
                descriptors.append((inp.1, 0))
                theirs.append(inp.1)
                input = inp.0
                ours.append(inp.0)
            }
        }
        var console: (listener: Int32, path: UnixSocket.ShortPath)?
        do {
            if tty {
                let path = try UnixSocket.ShortPath(directory: files.directory, name: files.name + ".sock")
                console = (try UnixSocket.listen(path.local), path)
            }
            let pid = try runtime.spawnExec(
                id, processFile: files.process, pidFile: files.pid, consoleSocket: console?.path.forOthers,
                logFile: files.log, descriptors: descriptors)
            theirs.forEach { _ = close($0) }
            guard let console else {
                return ExecSession(crun: pid, input: input, outputs: outputs, tty: false, files: files)
            }
            defer {
                _ = close(console.listener)
                console.path.close()
                unlink(files.socket)
            }
            // crun sends the master before it runs the process; crun's stderr
            // ending first means it gave up.
            guard UnixSocket.waitReadable(console.listener, alsoWatching: err.0, timeout: 30_000),
                let master = try? UnixSocket.receiveDescriptor(listener: console.listener)
            else {
                return ExecSession(crun: pid, input: -1, outputs: [err.0], tty: true, files: files)
            }
            // crun applies the process's consoleSize, but not always before
            // the process looks: set it again as soon as the master is ours.
            if let size { _ = berth_set_window_size(master, size.rows, size.columns) }
            return ExecSession(crun: pid, input: master, outputs: [master, err.0], tty: true, files: files)
        } catch {
            (theirs + ours).forEach { _ = close($0) }
            if let console {
                _ = close(console.listener)
                console.path.close()
            }
            throw error
        }
    }

    /// Relays until the process has ended and its output is drained, and
    /// returns its exit code as docker reports it. Input after that, or
    /// after the client went, is dropped.
    func relay(_ io: ProcessIO) async throws -> Int32 {
        let inputs = Task { for await item in io.input { await self.handle(item) } }
        let status: Int32
        do {
            status = try await DedicatedThread.run {
                self.pump(io.output)
                return try ChildProcess.wait(self.crun)
            }
        } catch {
            inputs.cancel()
            await inputs.value
            closeAll()
            throw error
        }
        inputs.cancel()
        await inputs.value
        closeAll()
        // crun has said why on its stderr already (relayed as the process's).
        return Self.exitCode(status, log: (try? String(contentsOfFile: files.log, encoding: .utf8)) ?? "").0
    }

    /// docker's exit codes for an exec crun could not start: 127 when the
    /// command is not found, 126 when it cannot be executed; otherwise the
    /// process's own. With crun's message when crun failed.
    static func exitCode(_ status: Int32, log: String) -> (Int32, String?) {
        let text = log.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard status != 0, !text.isEmpty else { return (status, nil) }
        let lowered = text.lowercased()
        if lowered.contains("not found") || lowered.contains("no such file or directory") {
            return (127, Self.message(text))
        }
        if lowered.contains("permission denied") || lowered.contains("is a directory")
            || lowered.contains("exec format error")
        {
            return (126, Self.message(text))
        }
        return (status, Self.message(text))
    }

    /// crun's log line without its JSON or timestamp wrapping.
    private static func message(_ line: String) -> String {
        if let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let msg = object["msg"] as? String
        {
            return msg
        }
        return line
    }

    private func handle(_ item: ProcessInput) async {
        switch item {
        case .data(let bytes):
            guard input >= 0 else { return }
            await onWriter { self.writeAll(bytes) }
        case .end:
            guard input >= 0, !tty else { return }
            await onWriter { _ = shutdown(self.input, Int32(SHUT_WR)) }
        case .resize(let rows, let columns):
            guard tty, input >= 0, rows > 0, columns > 0 else { return }
            _ = berth_set_window_size(input, rows, columns)
        case .signal(let number):
            let text = (try? String(contentsOfFile: files.pid, encoding: .utf8)) ?? ""
            if let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 {
                _ = kill(pid, number)
            }
        }
    }

    private func onWriter(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            writer.async {
                work()
                done.resume()
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return tty
                    ? write(input, base + written, raw.count - written)
                    : send(input, base + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                written += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return  // the process is gone or closed its input
            }
        }
    }

    /// Reads the outputs until each has ended, or, once crun has exited,
    /// until nothing more is there (a background process may hold the pty).
    private func pump(_ output: @Sendable (ExecStream, [UInt8]) -> Void) {
        var fds = outputs.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: crunFD, events: Int16(POLLIN), revents: 0))
        var open = outputs.count
        var crunExited = crunFD < 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            let n = poll(&fds, nfds_t(fds.count), crunExited ? 50 : -1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            for i in 0..<outputs.count where fds[i].fd >= 0 && fds[i].revents != 0 {
                let got = read(fds[i].fd, &buffer, buffer.count)
                if got > 0 {
                    let stream: ExecStream = tty || i == 0 ? .stdout : .stderr
                    output(stream, Array(buffer[0..<got]))
                } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                    // EIO from a master: every holder of the pty's other end is gone.
                    fds[i].fd = -1
                    open -= 1
                }
            }
            if fds[outputs.count].fd >= 0 && fds[outputs.count].revents != 0 {
                crunExited = true
                fds[outputs.count].fd = -1
            }
        }
    }

    private func closeAll() {
        for fd in Set(outputs + [input, crunFD]) where fd >= 0 { _ = close(fd) }
    }
}
