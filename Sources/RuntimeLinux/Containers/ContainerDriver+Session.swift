import BerthModel
import Foundation
import HostOS
import RuntimeKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ContainerDriver {
    /// Runs `exec` inside the running container with its streams relayed
    /// over `io` (`berth exec`): on a pty when `options.tty`, whose master
    /// crun sends to a console socket; else on socket pairs, stdin from the
    /// client when `options.stdin`. Returns the exit code: the process's,
    /// 127 when its command is not found, 126 when it cannot be executed.
    public func execSession(_ id: ContainerID, _ exec: LinuxExecSpec, options: ExecSessionOptions, io: ProcessIO)
        async throws -> Int32
    {
        try requireExecutable(id, exec)
        let paths = self.paths(id)
        var process = try execProcess(id, exec, paths: paths)
        process.terminal = options.tty
        if options.tty, let rows = options.rows, let columns = options.columns, rows > 0, columns > 0 {
            process.consoleSize = .init(height: rows, width: columns)
        }
        if options.privileged {
            process.capabilities = .init(granting: hostCapabilities())
        }
        let name = String(UUID().uuidString.prefix(13))
        let files = ExecFiles(directory: try execDirectory(paths), name: name)
        defer { files.remove() }
        do {
            try Files.write(Array(JSONEncoder().encode(process)), to: files.process, mode: 0o600)
        } catch {
            throw BerthError(
                .system, "exec in container \(id): writing \(files.process)", cause: BerthError.describe(error))
        }
        let runtime = self.runtime
        let size = process.consoleSize.map { (rows: $0.height, columns: $0.width) }
        let session = try await DedicatedThread.run {
            try ExecSession.start(
                runtime: runtime, id: id, files: files, tty: options.tty, stdin: options.stdin, size: size)
        }
        return try await session.relay(io)
    }

    /// Every capability berthd holds (its bounding set, within what this
    /// kernel knows), for `exec --privileged`: crun cannot grant more.
    func hostCapabilities() -> [String] {
        let facts = builder.host
        return BundleBuilder.allCapabilities.enumerated()
            .filter { $0.offset <= facts.lastCapability && facts.boundingSet.contains($0.offset) }
            .map(\.element)
    }
}
