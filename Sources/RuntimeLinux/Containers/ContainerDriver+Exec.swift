import Foundation

extension ContainerDriver {
    /// Runs `exec` inside the running container and waits for it, as
    /// `docker exec` does: the container's process settings (capabilities,
    /// rlimits, no-new-privileges) with the exec's argv, the container's
    /// environment plus the exec's (the exec's wins), the exec's user
    /// resolved in the container's own /etc/passwd, and its working directory.
    public func exec(_ id: ContainerID, _ exec: LinuxExecSpec) async throws -> ExecOutput {
        try requireExists(id)
        guard !exec.command.isEmpty else {
            throw ContainerError(.invalidSpec, "exec in container \(id): no command given")
        }
        let status = try await inspect(id).status
        guard case .running = status else {
            throw ContainerError(.invalidState, "exec in container \(id): it is \(status.name), not running")
        }
        return try await Blocking.run { try self.execNow(id, exec) }
    }

    private func execNow(_ id: ContainerID, _ exec: LinuxExecSpec) throws -> ExecOutput {
        let paths = self.paths(id)
        let spec: OCIRuntimeSpec
        do {
            spec = try JSONDecoder().decode(OCIRuntimeSpec.self, from: Data(contentsOf: URL(fileURLWithPath: paths.config)))
        } catch {
            throw ContainerError(.runtime, "exec in container \(id): unreadable bundle \(paths.config)", cause: "\(error)")
        }
        var process = spec.process
        process.args = exec.command
        process.env = Self.merge(process.env, exec.environment)
        if let user = exec.user {
            let resolved = try UserResolver.reading(rootfs: paths.rootfs).resolve(user, container: id)
            process.user = .init(
                uid: resolved.uid, gid: resolved.gid,
                additionalGids: resolved.additionalGids.isEmpty ? nil : resolved.additionalGids)
        }
        if let cwd = exec.workingDir {
            guard cwd.hasPrefix("/") else {
                throw ContainerError(.invalidSpec, "exec in container \(id): working directory \"\(cwd)\" is not absolute")
            }
            process.cwd = cwd
        }
        // A file per exec, in the container's directory: several may run at once.
        let file = paths.directory + "/exec-\(UUID().uuidString).json"
        do {
            try JSONEncoder().encode(process).write(to: URL(fileURLWithPath: file))
        } catch {
            throw ContainerError(.system, "exec in container \(id): writing \(file)", cause: "\(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try runtime.exec(id, processFile: file)
        return ExecOutput(exitCode: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// `base` with each of `overrides` replacing the entry of the same key
    /// in place, or appended.
    static func merge(_ base: [String], _ overrides: [String]) -> [String] {
        var result = base
        for entry in overrides {
            let key = entry.split(separator: "=", maxSplits: 1).first.map { $0 + "=" } ?? entry
            if let index = result.firstIndex(where: { $0.hasPrefix(key) }) {
                result[index] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }
}
