import AsyncKeyedLock
import BerthModel
import Foundation
import HostOS
import NIOCore
import Registry
import RuntimeKit

/// The real `ContainerRuntime`: Berth's Linux pieces behind the protocol the
/// reconciler and the supervisor drive. Images come from the `ImageStore`,
/// containers run on crun through the `ContainerDriver` (one berth-shim
/// each), networks are `BridgeNetworks`, published ports go through the
/// `PortProxy`, volumes live in the `VolumeStore`.
///
/// Everything lives under one root (berthd's), and nothing lives in memory
/// only:
///
/// ```
/// <root>/images, layers/          the image store
/// <root>/containers/<id>/         the driver's bundle, writable layer, log
/// <root>/crun/                    crun's state (unless configured elsewhere)
/// <root>/runtime/containers/<id>.json   this runtime's record of the container
/// <root>/netns/<id>               the container's network namespace
/// <root>/networks/networks.json   networks, addresses, endpoints
/// <root>/volumes/<name>/          named and anonymous volumes
/// ```
///
/// A new `LinuxRuntime` over a root that has state (berthd restarted, even
/// after `kill -9`) restores it: bridges and nft rules, the ports of every
/// container, exit watching of those that run, and it finishes any create
/// or remove that a crash cut short.
///
/// A container's id is its name. Operations on one container run one at a
/// time; operations on different containers run in parallel (the
/// reconciler creates a whole dependency level at once).
public actor LinuxRuntime: ContainerRuntime {
    /// Where everything lives and how things on the host are named.
    public struct Configuration: Sendable {
        /// berthd's root; everything the runtime keeps is under it.
        public var root: String
        /// The `berth-shim` binary.
        public var shimPath: String
        /// The OCI runtime.
        public var crunPath: String
        /// crun's state directory; nil: `<root>/crun`.
        public var crunRoot: String?
        /// The static init bound into containers with `init: true`.
        public var initBinary: String
        /// The cgroup each container's cgroup `<parent>/<id>` goes under.
        public var cgroupParent: String
        /// Bridges and host-side veths begin with it (`berth`, or `berth`
        /// plus up to five characters for a test).
        public var namePrefix: String
        /// The nftables table (family inet) the networks own.
        public var tableName: String
        /// Where network subnets come from when a network names none.
        public var pools: [AddressPool]
        /// Copied (or parsed) for containers without a bridge network.
        public var hostResolvConf: String
        /// The published-port proxy's timeouts and buffers.
        public var portProxyOptions: PortProxyOptions
        /// The event loops the proxy runs on; nil: its own, one per core.
        public var eventLoopGroup: (any EventLoopGroup)?
        /// Mirrors, insecure registries, certificates, proxy (from `/etc/berth/daemon.json`).
        public var registrySettings = RegistrySettings()
        /// daemon.json's `log-driver` and `log-opts`: the logging of a
        /// container whose service sets none (merged as dockerd does).
        public var defaultLogging: Logging?

        /// A configuration; the defaults are berthd's.
        public init(
            root: String, shimPath: String, crunPath: String = "/usr/bin/crun", crunRoot: String? = nil,
            initBinary: String = "/usr/bin/tini-static", cgroupParent: String = "/berth",
            namePrefix: String = "berth", tableName: String = "berth", pools: [AddressPool] = AddressPool.defaults,
            hostResolvConf: String = "/etc/resolv.conf", portProxyOptions: PortProxyOptions = PortProxyOptions(),
            eventLoopGroup: (any EventLoopGroup)? = nil
        ) {
            self.root = root
            self.shimPath = shimPath
            self.crunPath = crunPath
            self.crunRoot = crunRoot
            self.initBinary = initBinary
            self.cgroupParent = cgroupParent
            self.namePrefix = namePrefix
            self.tableName = tableName
            self.pools = pools
            self.hostResolvConf = hostResolvConf
            self.portProxyOptions = portProxyOptions
            self.eventLoopGroup = eventLoopGroup
        }
    }

    /// The configuration this runtime runs with.
    public nonisolated let configuration: Configuration
    let driver: ContainerDriver
    let imageStore: ImageStore
    let volumeStore: VolumeStore
    let bridges: BridgeNetworks
    let proxy: PortProxy
    let recordStore: ContainerRecordStore
    /// The registry clients pulls and pushes go through.
    let registries: RegistryClients
    /// `<root>/netns`.
    let netnsDirectory: String

    /// The records, as on disk (every change is written first).
    var records: [String: ContainerRecord]
    /// The ports published for each container now.
    var published: [String: [Publication]] = [:]
    /// One exit watcher per started container.
    var watchers: [String: Watcher] = [:]
    var nextWatcher: UInt64 = 0
    var subscribers: [UInt64: AsyncStream<RuntimeEvent>.Continuation] = [:]
    var nextSubscriber: UInt64 = 0
    /// One operation per container at a time.
    let gate = KeyedLock<String>()

    /// What the restore at init could not do (a port taken meanwhile, an
    /// unreadable record): the runtime works, these containers may not.
    public private(set) var restoreProblems: [BerthError] = []

    /// Opens (creating if need be) the state under `configuration.root` and
    /// restores what is there: see the type's documentation. Fails only
    /// when the stores cannot be opened; what a restore cannot do for one
    /// container is kept in `restoreProblems`.
    public init(_ configuration: Configuration) async throws {
        guard configuration.root.hasPrefix("/") else {
            throw BerthError(.invalidArgument, "the runtime root \"\(configuration.root)\" must be an absolute path")
        }
        let root = configuration.root
        self.configuration = configuration
        driver = try ContainerDriver(
            .init(
                root: root, shimPath: configuration.shimPath, crunPath: configuration.crunPath,
                crunRoot: configuration.crunRoot ?? root + "/crun", cgroupParent: configuration.cgroupParent,
                initBinary: configuration.initBinary))
        imageStore = try ImageStore(root: URL(fileURLWithPath: root))
        volumeStore = try VolumeStore(root: root)
        bridges = try BridgeNetworks(
            .init(
                stateDirectory: root + "/networks", namePrefix: configuration.namePrefix,
                tableName: configuration.tableName, pools: configuration.pools))
        recordStore = try ContainerRecordStore(directory: root + "/runtime/containers")
        registries = RegistryClients(settings: configuration.registrySettings)
        netnsDirectory = root + "/netns"
        proxy = PortProxy(group: configuration.eventLoopGroup, options: configuration.portProxyOptions)
        let (loaded, problems) = recordStore.loadAll()
        records = Dictionary(loaded.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        restoreProblems = problems + (await restore())
    }

    /// Lets go of what this process holds, and nothing on the host: the
    /// published ports close, exit watching stops, event streams end.
    /// Containers, networks and volumes stay, for the next `LinuxRuntime`
    /// over the root to restore (berthd's clean exit, or a test's).
    public func shutdown() async {
        for watcher in watchers.values { watcher.task.cancel() }
        watchers = [:]
        for publications in published.values {
            for publication in publications { await proxy.unpublish(publication.port) }
        }
        published = [:]
        await proxy.shutdown()
        await registries.shutdown()
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers = [:]
    }

    // MARK: Events

    /// Container events from now on: create, start, die (with the exit
    /// code), kill, stop, destroy. Each subscriber gets its own stream; it
    /// ends with `shutdown` or when the subscriber stops reading.
    public func events() -> AsyncStream<RuntimeEvent> {
        let (stream, continuation) = AsyncStream<RuntimeEvent>.makeStream()
        let key = nextSubscriber
        nextSubscriber += 1
        subscribers[key] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(key) }
        }
        return stream
    }

    private func unsubscribe(_ key: UInt64) {
        subscribers[key] = nil
    }

    func emit(_ kind: RuntimeEvent.Kind, _ id: String, exitCode: Int32? = nil) {
        let event = RuntimeEvent(kind: kind, containerID: id, containerName: id, exitCode: exitCode)
        for subscriber in subscribers.values { subscriber.yield(event) }
    }

    // MARK: One container at a time

    /// Runs `body` with container `id` to itself.
    func exclusively<T: Sendable>(_ id: String, _ body: () async throws -> T) async throws -> T {
        try await gate.withLock(id, body)
    }

    /// The record of a container that exists (made, not being made).
    func record(_ id: String) throws -> ContainerRecord {
        guard let record = records[id], record.phase != .creating else {
            throw BerthError(.notFound, "no such container: \(id)")
        }
        return record
    }

    /// Writes the record, then keeps it. The write runs on a dedicated
    /// thread, as every blocking call of the runtime does: a write may wait
    /// for the disk, and the actor's thread belongs to Swift's small pool.
    func save(_ record: ContainerRecord) async throws {
        let store = recordStore
        try await DedicatedThread.run { try store.save(record) }
        records[record.id] = record
    }

    /// Deletes the record's file, then forgets it.
    func forget(_ id: String) async throws {
        let store = recordStore
        try await DedicatedThread.run { try store.delete(id) }
        records[id] = nil
    }

    /// The volumes a container other than `id` mounts: named, or its own anonymous ones.
    func volumesInUse(besides id: String? = nil) -> Set<String> {
        Set(records.values.filter { $0.id != id }.flatMap { $0.volumes + $0.anonymousVolumes })
    }

    /// Seconds since the epoch.
    static func now() -> Double { Date().timeIntervalSince1970 }
}

/// One `ports:` entry of a container as the proxy publishes it.
struct Publication: Sendable {
    /// As the spec asked.
    var spec: PortSpec
    var port: PublishedPort

    /// As bound: the ephemeral host port filled in.
    var resolved: PortSpec {
        var resolved = spec
        resolved.hostPort = Int(port.hostPort)
        return resolved
    }
}
