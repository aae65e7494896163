import BerthModel
import Foundation
import HostOS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs containers on crun: bundle and overlay rootfs in, a `berth-shim` per
/// container to hold its output and record its exit, crun for the rest.
///
/// All state is on disk under `<root>/containers/<id>/` and in crun's state
/// directory, none in this object: a new driver over the same root (a
/// restarted berthd) sees every container the old one made. Blocking work
/// (crun runs, inotify waits) happens off Swift's cooperative pool.
@_spi(Components) public final class ContainerDriver: Sendable {
    /// Where things are and which programs run them.
    public struct Configuration: Sendable {
        /// berthd's root; containers live in `<root>/containers`.
        public var root: String
        /// The `berth-shim` binary.
        public var shimPath: String
        /// The OCI runtime (crun).
        public var runtime: any OCIRuntime
        /// The cgroup under which each container gets `<parent>/<id>`.
        public var cgroupParent: String
        /// Facts about this host the bundles depend on.
        public var host: HostFacts

        /// A configuration with crun at `crunPath` keeping its state in
        /// `crunRoot` (nil: crun's default, /run/crun), and tini at `initBinary`.
        public init(
            root: String, shimPath: String, crunPath: String = "/usr/bin/crun", crunRoot: String? = nil,
            cgroupParent: String = "/berth", initBinary: String = "/usr/bin/tini-static"
        ) {
            self.root = root
            self.shimPath = shimPath
            self.runtime = Crun(path: crunPath, root: crunRoot)
            self.cgroupParent = cgroupParent
            self.host = HostFacts.current(initBinary: initBinary)
        }
    }

    /// What `create` reports.
    public struct Created: Hashable, Sendable {
        /// The container's id.
        public var id: ContainerID
        /// Its init's pid, as crun reported it.
        public var pid: Int32
        /// Things changed from what the spec asked (clamped ulimits, …).
        public var warnings: [String]
    }

    /// The configuration this driver runs with.
    public let configuration: Configuration
    let runtime: any OCIRuntime
    let builder: BundleBuilder
    /// inotify instances for waits, kept for reuse (see `DirectoryWatches`).
    let watches = DirectoryWatches()
    /// Each container's process settings as its bundle has them, decoded
    /// once for its execs (a probe a second each) rather than per exec; a
    /// bundle never changes after create. Keyed by the bundle's path so a
    /// container made again under the same id is read again.
    let execProcesses = Mutex<[String: OCIRuntimeSpec.Process]>([:])

    /// A driver over `configuration.root`. Makes the root and, on a hybrid
    /// cgroup host, moves the controllers crun objects to (`CgroupSetup`).
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        runtime = configuration.runtime
        builder = BundleBuilder(host: configuration.host, cgroupParent: configuration.cgroupParent)
        do {
            try Files.makeDirectories(configuration.root + "/containers", mode: 0o700)
        } catch {
            throw BerthError(
                .system, "creating the container root \(configuration.root)/containers",
                cause: BerthError.describe(error))
        }
        try CgroupSetup.ensureCompatible()
    }

    /// The paths of container `id`.
    public func paths(_ id: ContainerID) -> ContainerPaths {
        ContainerPaths(root: configuration.root, id: id)
    }

    /// Every container under the root, by id.
    public func list() throws -> [ContainerID] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.root + "/containers")) ?? []
        return names.compactMap(ContainerID.init).sorted()
    }

    /// Makes the container: its directory, its overlay rootfs, its bundle,
    /// and its shim, which runs `crun create`. Returns once crun has created
    /// it, its process waiting for `start`. With `start: true` the shim runs
    /// `crun run --detach` instead, one crun run fewer (see shim.c). On any
    /// failure everything made so far is undone.
    /// `beforeLaunch` runs once the rootfs is mounted and before crun sees
    /// the container: the volumes are seeded there, since crun looks for
    /// the command (in a volume over `/bin`, say) when it creates.
    public func create(
        _ spec: LinuxContainerSpec, start: Bool = false,
        beforeLaunch: @Sendable (ContainerPaths) async throws -> Void = { _ in }
    ) async throws -> Created {
        let (paths, bundle) = try await DedicatedThread.run { try self.prepare(spec) }
        do {
            try await beforeLaunch(paths)
            let pid = try await DedicatedThread.run {
                try self.launchShim(spec, paths: paths, mode: start ? "run" : "create")
            }
            return Created(id: spec.id, pid: pid, warnings: bundle.warnings)
        } catch {
            discard(spec.id, paths: paths)
            throw error
        }
    }

    /// Everything `create` does before the shim: directory, rootfs, user,
    /// bundle files. Undone when it fails.
    func prepare(_ spec: LinuxContainerSpec) throws -> (ContainerPaths, OCIBundle) {
        let paths = self.paths(spec.id)
        // 0700: the bundle holds the environment, and the rootfs below is the
        // container's own; crun, the shim and the mounts need no other user.
        if mkdir(paths.directory, 0o700) != 0 {
            let err = errno
            if err == EEXIST {
                throw BerthError(.alreadyExists, "container \(spec.id) already exists in \(paths.directory)")
            }
            throw BerthError.system("creating container directory \(paths.directory)", errno: err)
        }
        do {
            try OverlayRootfs.mount(layers: spec.layers, paths: paths)
            let user = try UserResolver.reading(rootfs: paths.rootfs)
                .resolve(spec.user ?? spec.image.user, groupAdd: spec.groupAdd, container: spec.id)
            let bundle = try builder.build(spec, user: user, paths: paths)
            try RootfsPath.makeDirectory(bundle.spec.process.cwd, in: paths.rootfs)
            try write(bundle.hosts, to: paths.hosts)
            try write(bundle.hostname, to: paths.hostname)
            try write(bundle.resolvConf, to: paths.resolvConf)
            if let input = spec.standardInput { try write(Data(input), to: paths.standardInput, mode: 0o600) }
            // Read back by every launch of the shim, restarts too (shimArguments).
            if spec.openStdin { try write(Data(), to: paths.directory + "/stdin-open") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try write(encoder.encode(bundle.spec), to: paths.config, mode: 0o600)
            return (paths, bundle)
        } catch {
            discard(spec.id, paths: paths, created: false)
            throw error
        }
    }

    /// Undoes a create that failed part way (`created`: crun may have made
    /// it); the first error is the one reported.
    private func discard(_ id: ContainerID, paths: ContainerPaths, created: Bool = true) {
        if created { try? runtime.delete(id, force: true) }
        try? OverlayRootfs.unmount(paths: paths)
        try? FileManager.default.removeItem(atPath: paths.directory)
    }

    /// Lets a created container's process run (`crun start`).
    public func start(_ id: ContainerID) async throws {
        try requireExists(id)
        try await DedicatedThread.run { try self.runtime.start(id) }
    }

    /// Sends `signal` to the container's init (`crun kill`).
    public func kill(_ id: ContainerID, signal: Int32 = SIGKILL) async throws {
        try requireExists(id)
        try await DedicatedThread.run { try self.runtime.kill(id, signal: signal) }
    }

    /// Freezes or thaws the container's processes (`crun pause`/`resume`).
    public func freeze(_ id: ContainerID, _ frozen: Bool) async throws {
        try requireExists(id)
        try await DedicatedThread.run { try self.runtime.freeze(id, frozen) }
    }

    /// docker's stop: `signal` (the image's or service's stop signal), then
    /// SIGKILL if the container is still running after `grace`. Returns how
    /// it ended; a container that had already ended just reports that.
    public func stop(_ id: ContainerID, signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) async throws
        -> ExitStatus
    {
        try requireExists(id)
        if let done = try ExitStatus.read(paths(id).exitFile) { return done }
        do {
            try await DedicatedThread.run { try self.runtime.kill(id, signal: signal) }
        } catch let error as BerthError where error.code == .invalidState {
            // It ended between the check and the signal: the wait below sees it.
        }
        if let status = try await waitForExit(id, timeout: grace) { return status }
        do {
            try await DedicatedThread.run { try self.runtime.kill(id, signal: SIGKILL) }
        } catch let error as BerthError where error.code == .invalidState {}
        guard let status = try await waitForExit(id, timeout: .seconds(10)) else {
            throw BerthError(.timeout, "container \(id) was still running 10 s after SIGKILL")
        }
        return status
    }

    /// Removes the container: crun's state and cgroup, the rootfs mount, the
    /// directory with the writable layer and the logs. A live container
    /// needs `force` (then it is killed first). Every step is tried; the
    /// failures are reported together.
    public func remove(_ id: ContainerID, force: Bool = false) async throws {
        try requireExists(id)
        let paths = self.paths(id)
        // An exit record means the init is gone: no need to ask crun.
        let status: InspectedStatus
        if let exit = try ExitStatus.read(paths.exitFile) {
            status = .exited(exit)
        } else {
            status = try await inspect(id).status
        }
        var errors: [BerthError] = []
        if status.isAlive {
            guard force else {
                throw BerthError(
                    .invalidState, "container \(id) is \(status.name); stop it before removing it, or force the removal"
                )
            }
            do {
                try await DedicatedThread.run { try self.runtime.kill(id, signal: SIGKILL) }
            } catch let error as BerthError where error.code == .invalidState {} catch let error as BerthError {
                errors.append(error)
            }
            do {
                _ = try await waitForExit(id, timeout: .seconds(10))
            } catch let error as BerthError { errors.append(error) }
        }
        do {
            try await DedicatedThread.run { try self.runtime.delete(id, force: true) }
            // The shim removes shim.pid on its way out, after exit.json.
            _ = try await watches.wait(directory: paths.directory, timeout: .seconds(5)) {
                self.shimPID(paths) == nil ? true : nil
            }
        } catch let error as BerthError { errors.append(error) }
        do { try OverlayRootfs.unmount(paths: paths) } catch let error as BerthError { errors.append(error) }
        do {
            try FileManager.default.removeItem(atPath: paths.directory)
        } catch {
            errors.append(
                BerthError(
                    .system, "removing container directory \(paths.directory)", cause: BerthError.describe(error)))
        }
        if let error = BerthError.combined(errors) {
            throw BerthError(.runtime, "removing container \(id) left work undone", cause: error.description)
        }
    }

    /// The container's state: crun's word while crun knows it, the shim's
    /// exit record after.
    public func inspect(_ id: ContainerID) async throws -> ContainerInspection {
        try requireExists(id)
        return try await DedicatedThread.run {
            let paths = self.paths(id)
            let state = try self.runtime.state(id)
            let shim = self.shimPID(paths)
            let status: InspectedStatus
            switch state?.status {
            case "created": status = .created(pid: state?.pid ?? 0)
            case "running": status = .running(pid: state?.pid ?? 0)
            case "paused": status = .paused(pid: state?.pid ?? 0)
            default:
                if let exit = try ExitStatus.read(paths.exitFile) {
                    status = .exited(exit)
                } else if shim != nil {
                    // The init is gone and the shim is draining its output:
                    // the exit record is moments away.
                    status = .running(pid: state?.pid ?? 0)
                } else {
                    status = .lost(
                        reason: "crun has \(state == nil ? "no state" : "it stopped") and berth-shim recorded no exit")
                }
            }
            return ContainerInspection(
                id: id, status: status, shimPID: shim, directory: paths.directory, createdAt: state?.created)
        }
    }

    func requireExists(_ id: ContainerID) throws {
        var info = stat()
        guard stat(paths(id).directory, &info) == 0 else {
            throw BerthError(.notFound, "no container \(id) under \(configuration.root)")
        }
    }

    private func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Writes a new file in one go: the directory is new and private to
    /// this create, so FileManager's temporary-file-and-rename buys nothing
    /// and costs a quarter of a millisecond per file.
    /// 0644 by default: the container's user, root or not, must read /etc/hosts.
    private func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        do {
            try Files.write(Array(data), to: path, mode: mode, exclusive: true)
        } catch {
            throw BerthError(.system, "creating \(path)", wrapping: error)
        }
    }
}
