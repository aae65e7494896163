import BerthModel
import CLinux
import Foundation
import HostOS
import RuntimeKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ContainerDriver {
    /// Attaches to container `id` through its shim's attach.sock (see
    /// shim_attach.c): input and window sizes go to the descriptor the shim
    /// lends (the pty's master, or the stdin socket), output comes from
    /// the shim as the container writes it. `whenAttached` runs once the
    /// connection is made (`run -it` starts the container there). Ends when
    /// the container has exited (the shim closes the connection) or the
    /// client has gone.
    public func attach(
        _ id: ContainerID, io: ProcessIO, rows: UInt16?, columns: UInt16?,
        whenAttached: @escaping @Sendable () async throws -> Void
    ) async throws -> AttachEnd {
        try requireExists(id)
        let paths = self.paths(id)
        let (socket, input) = try Self.connectToShim(id, paths: paths)
        let relay = AttachRelay(socket: socket, input: input)
        if input >= 0, let rows, let columns, rows > 0, columns > 0 {
            _ = berth_set_window_size(input, rows, columns)
        }
        do {
            try await whenAttached()
        } catch {
            relay.close()
            throw error
        }
        return await relay.run(io)
    }

    /// The attach connection and the lent descriptor (-1: none).
    static func connectToShim(_ id: ContainerID, paths: ContainerPaths) throws -> (Int32, Int32) {
        let short = try UnixSocket.ShortPath(directory: paths.directory, name: "attach.sock")
        defer { short.close() }
        let socket: Int32
        do {
            socket = try UnixSocket.connect(short.local)
        } catch {
            throw BerthError(
                .invalidState, "cannot attach to container \(id): its shim does not answer; is it running?",
                cause: BerthError.describe(error))
        }
        var input: Int32 = -1
        guard berth_recv_fd(socket, &input) == 1 else {
            _ = close(socket)
            throw BerthError(.invalidState, "cannot attach to container \(id): it has exited")
        }
        return (socket, input)
    }
}

/// One attach: the shim's connection and the lent input descriptor.
final class AttachRelay: Sendable {
    let socket: Int32
    let input: Int32
    /// Set when this side cut the connection (a detach).
    private let shutDown = Mutex(false)
    private let writer = DispatchQueue(label: "berth.attach.input")

    init(socket: Int32, input: Int32) {
        self.socket = socket
        self.input = input
    }

    /// Relays until the shim closes (exited) or `io.input` ends (detached).
    func run(_ io: ProcessIO) async -> AttachEnd {
        let inputs = Task {
            for await item in io.input { await self.handle(item) }
            // The client went: stop reading, so that the pump ends.
            self.shutDown.withLock { $0 = true }
            _ = shutdown(self.socket, Int32(SHUT_RDWR))
        }
        let exited = (try? await DedicatedThread.run { self.pump(io.output) }) ?? false
        inputs.cancel()
        await inputs.value
        close()
        return exited ? .exited : .detached
    }

    /// Output from the shim; true when the shim ended it (the container
    /// exited), false when it was cut from this side.
    private func pump(_ output: @Sendable (ExecStream, [UInt8]) -> Void) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(socket, &buffer, buffer.count, 0)
            if n > 0 {
                output(.stdout, Array(buffer[0..<n]))
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                // A shutdown from our side reads as EOF too; the flag says which.
                return !shutDown.withLock { $0 }
            }
        }
    }

    private func handle(_ item: ProcessInput) async {
        switch item {
        case .data(let bytes):
            guard input >= 0 else { return }
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                writer.async {
                    self.writeAll(bytes)
                    done.resume()
                }
            }
        case .resize(let rows, let columns):
            guard input >= 0, rows > 0, columns > 0 else { return }
            _ = berth_set_window_size(input, rows, columns)
        case .end, .signal:
            // A container's input stays open for the next attach, and
            // signals go through `berth kill`.
            break
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                // send() on the stdin socket (no SIGPIPE); write() on a master.
                let sent = send(input, base + written, raw.count - written, Int32(MSG_NOSIGNAL))
                if sent < 0 && errno == ENOTSOCK { return write(input, base + written, raw.count - written) }
                return sent
            }
            if n > 0 {
                written += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Closes the connection and the lent descriptor.
    func close() {
        _ = Glibc.close(socket)
        if input >= 0 { _ = Glibc.close(input) }
    }
}
