import BerthModel
import Builder
import Foundation
import Glibc
import HostOS
import Registry

/// `RUN`: a crun container over an overlay of the stage's layers and a
/// fresh upper directory, which becomes the step's layer once the command
/// exits 0. Its network, `/etc/hosts` and `/etc/resolv.conf` are the
/// lease `BuildNetwork.join` gave it.
extension LinuxBuildBackend {
    func runNow(
        _ request: RunRequest, id: ContainerID, lease: BuildNetwork.Lease,
        output: @escaping @Sendable ([UInt8]) -> Void
    ) throws -> String {
        let scratch = try FileOps.makeTemporaryDirectory(in: directory + "/tmp", prefix: "run-")
        var mounted: [String] = []
        defer {
            for path in mounted.reversed() { umount2(path, Int32(MNT_DETACH)) }
            FileOps.removeTree(scratch)
        }
        var spec = LinuxContainerSpec(id: id, image: .init(), layers: try directories(request.layers))
        spec.entrypoint = request.step.arguments
        spec.command = []
        spec.environment =
            request.step.environment.environment + request.step.proxyEnvironment.environment
        spec.workingDir = request.step.workingDirectory
        spec.user = request.step.user
        spec.hostname = BuildNetwork.hostname
        spec.network = lease.network
        spec.extraHosts = lease.hosts
        spec.dns = lease.dns
        spec.resources.shmSize = request.step.settings.shmSize
        spec.ulimits = try Self.ulimits(request.step.settings.ulimits)
        for (index, file) in request.step.inlineFiles.enumerated() {
            let host = scratch + "/inline-\(index)"
            try Files.writeBytes(Array(file.content.utf8), to: host)
            chmod(host, file.mode)
            spec.mounts.append(.bind(source: host, target: file.path, readOnly: true))
        }
        for (index, source) in request.mounts.enumerated() {
            if let mount = try mountSpec(
                source, index: index, scratch: scratch, secrets: request.secrets, mounted: &mounted, spec: &spec)
            {
                spec.mounts.append(mount)
            }
        }
        return try execute(spec, scratch: scratch, output: output)
    }

    /// Prepares the container, runs it to its end, and makes its upper directory the layer.
    private func execute(
        _ spec: LinuxContainerSpec, scratch: String, output: @escaping @Sendable ([UInt8]) -> Void
    ) throws -> String {
        let (paths, bundle) = try driver.prepare(spec)
        defer {
            _ = try? ChildProcess.run(crun + ["delete", "--force", spec.id.rawValue])
            try? OverlayRootfs.unmount(paths: paths)
            FileOps.removeTree(paths.directory)
        }
        let created = bundle.spec.mounts.compactMap { Self.firstMissing($0.destination, in: paths.rootfs) }
        let result = try ChildProcess.run(
            crun + ["run", "--bundle", paths.directory, spec.id.rawValue], sink: { _, bytes in output(bytes) })
        guard result.status == 0 else {
            throw BerthError(.buildFailed, "exit code \(result.status)")
        }
        try OverlayRootfs.unmount(paths: paths)
        for path in Set(created) { Self.removeSkeleton(paths.upper + path) }
        let layer = scratch + "/layer"
        try FileOps.rename(paths.upper, layer)
        return try adopt(layer, scratch: scratch)
    }

    /// The container mount of one `RUN --mount`; nil for a secret given only as a variable or missing and optional.
    private func mountSpec(
        _ source: RunMountSource, index: Int, scratch: String, secrets: [String: String], mounted: inout [String],
        spec: inout LinuxContainerSpec
    ) throws -> LinuxContainerSpec.Mount? {
        let planned = source.mount
        switch planned.mount.kind {
        case .tmpfs:
            return .tmpfs(target: planned.target, size: planned.mount.sizeLimit, mode: nil)
        case .cache:
            let key = Digest(of: Array((planned.id ?? planned.target).utf8)).hex
            let host = directory + "/cache-mounts/" + key
            if Files.kind(host) == .missing {
                try FileOps.makeDirectories(host)
                chmod(host, planned.mount.mode ?? 0o755)
                lchown(host, planned.mount.uid ?? 0, planned.mount.gid ?? 0)
            }
            return .bind(source: host, target: planned.target, readOnly: planned.mount.readOnly)
        case .secret:
            let id = planned.id ?? ""
            guard let file = secrets[id] else {
                if planned.mount.required {
                    throw BerthError(.notFound, "the secret \"\(id)\" is required but the build was given none")
                }
                return nil
            }
            if let variable = planned.mount.env {
                let value = String(decoding: (try? FileOps.read(file, what: "secret \(id)")) ?? [], as: UTF8.self)
                spec.environment.append(variable + "=" + value)
            }
            guard !planned.target.isEmpty else { return nil }
            return .bind(source: file, target: planned.target, readOnly: true)
        case .bind, .ssh:
            let root = try mountRoot(source.source, index: index, scratch: scratch, mounted: &mounted)
            let path = planned.sourcePath == "/" ? root : root + planned.sourcePath
            guard Files.kind(path) != .missing else {
                throw BerthError(.buildContext, "--mount source \(planned.sourcePath) does not exist")
            }
            return .bind(source: path, target: planned.target, readOnly: true)
        }
    }

    /// The host directory a bind mount reads: the context, or the layers merged read-only.
    private func mountRoot(
        _ source: LayerSource, index: Int, scratch: String, mounted: inout [String]
    ) throws -> String {
        switch source {
        case .context(let directory):
            return directory
        case .empty:
            let empty = scratch + "/empty-\(index)"
            try FileOps.makeDirectories(empty)
            return empty
        case .layers(let layers):
            let directories = try directories(layers)
            if directories.count == 1 { return directories[0] }
            let target = scratch + "/bind-\(index)"
            try FileOps.makeDirectories(target)
            if directories.isEmpty { return target }
            let data = "lowerdir=" + directories.reversed().joined(separator: ":")
            try checkSyscall("mount overlay on \(target)") {
                Glibc.mount("overlay", target, "overlay", UInt(MS_RDONLY), data)
            }
            mounted.append(target)
            return target
        }
    }

    /// The highest ancestor of `path` (itself included) missing from `root`:
    /// what crun will make for a mount point, to take out of the layer after.
    static func firstMissing(_ path: String, in root: String) -> String? {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            if lstat(root + current, &info) != 0 { return current }
            if info.st_mode & S_IFMT != S_IFDIR { return nil }
        }
        return nil
    }

    /// Removes `path` when it holds nothing but empty directories and empty files.
    static func removeSkeleton(_ path: String) {
        guard isSkeleton(path) else { return }
        FileOps.removeTree(path)
    }

    private static func isSkeleton(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return info.st_size == 0
        case S_IFDIR: return ((try? FileOps.list(path)) ?? []).allSatisfy { isSkeleton(path + "/" + $0) }
        default: return false
        }
    }
}

extension LinuxBuildBackend {
    /// compose's `build.ulimits` as the build request carries them
    /// (`name=soft:hard`, -1 unlimited), for every `RUN`; the driver lowers
    /// a hard limit berthd cannot raise, as for a service.
    static func ulimits(_ entries: [String]) throws -> [LinuxContainerSpec.Ulimit] {
        try entries.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            let values = parts.count == 2 ? parts[1].split(separator: ":") : []
            func limit(_ text: Substring) -> UInt64? { text == "-1" ? UInt64.max : UInt64(text) }
            guard values.count == 2, let soft = limit(values[0]), let hard = limit(values[1]) else {
                throw BerthError(.invalidSpec, "build ulimit \"\(entry)\" is not name=soft:hard")
            }
            return LinuxContainerSpec.Ulimit(name: String(parts[0]), soft: soft, hard: hard)
        }
    }
}
