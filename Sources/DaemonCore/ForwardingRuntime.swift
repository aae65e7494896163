import BerthModel
import RuntimeKit
import Synchronization

/// A runtime decorator: every call goes to `base` unless the decorator
/// implements it itself, so each decorator spells only its own concern.
protocol ForwardingRuntime: ContainerRuntime {
    /// The runtime the calls go to.
    var base: any ContainerRuntime { get }
}

extension ForwardingRuntime {
    func image(_ reference: String) async throws -> ImageInfo { try await base.image(reference) }
    func images() async throws -> [ImageInfo] { try await base.images() }

    func createContainer(_ spec: ContainerSpec) async throws -> ContainerInfo { try await base.createContainer(spec) }
    func startContainer(_ id: String) async throws { try await base.startContainer(id) }
    func killContainer(_ id: String, signal: String) async throws { try await base.killContainer(id, signal: signal) }
    func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        try await base.stopContainer(id, signal: signal, grace: grace)
    }
    func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws {
        try await base.removeContainer(id, force: force, keepingAnonymousVolumes: keepingAnonymousVolumes)
    }
    func containers(matching filter: LabelFilter) async throws -> [ContainerInfo] {
        try await base.containers(matching: filter)
    }
    func waitContainer(_ id: String) async throws -> Int32 { try await base.waitContainer(id) }
    func exec(_ id: String, _ spec: ExecSpec) async throws -> ExecResult { try await base.exec(id, spec) }
    func exec(_ id: String, _ spec: ExecSpec, output: @escaping @Sendable (ExecStream, [UInt8]) -> Void)
        async throws -> Int32
    {
        try await base.exec(id, spec, output: output)
    }

    func createNetwork(_ spec: NetworkSpec) async throws -> NetworkInfo { try await base.createNetwork(spec) }
    func removeNetwork(_ name: String) async throws { try await base.removeNetwork(name) }
    func networks(matching filter: LabelFilter) async throws -> [NetworkInfo] {
        try await base.networks(matching: filter)
    }

    func createVolume(name: String, labels: [String: String]) async throws -> VolumeInfo {
        try await base.createVolume(name: name, labels: labels)
    }
    func removeVolume(_ name: String) async throws { try await base.removeVolume(name) }
    func volumes(matching filter: LabelFilter) async throws -> [VolumeInfo] {
        try await base.volumes(matching: filter)
    }

    func events() async -> AsyncStream<RuntimeEvent> { await base.events() }
    func logs(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<LogRecord, any Error> {
        try await base.logs(id, query)
    }
    func logBatches(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<[LogRecord], any Error> {
        try await base.logBatches(id, query)
    }
    func importImage(path: String, reference: String?) async throws -> [ImageInfo] {
        try await base.importImage(path: path, reference: reference)
    }
    func removeImage(_ reference: String, force: Bool) async throws -> [String] {
        try await base.removeImage(reference, force: force)
    }
    func processes(_ id: String) async throws -> ProcessTable { try await base.processes(id) }
    func pullImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> ImageInfo {
        try await base.pullImage(reference, options: options, progress: progress)
    }
    func pushImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> String {
        try await base.pushImage(reference, options: options, progress: progress)
    }
    func tagImage(_ source: String, as target: String) async throws -> ImageInfo {
        try await base.tagImage(source, as: target)
    }
    func login(_ login: RegistryLogin) async throws -> String { try await base.login(login) }
    func logout(_ login: RegistryLogin) async throws -> Bool { try await base.logout(login) }
    func imageDetails(_ reference: String) async throws -> ImageDetails { try await base.imageDetails(reference) }
    func pauseContainer(_ id: String, paused: Bool) async throws { try await base.pauseContainer(id, paused: paused) }
    func stats(_ id: String) async throws -> ContainerStats { try await base.stats(id) }
    func copy(_ id: String, _ request: ContainerCopy) async throws { try await base.copy(id, request) }
    func diskUsage() async throws -> [DiskUsageRow] { try await base.diskUsage() }
    func execSession(_ id: String, _ spec: ExecSpec, options: ExecSessionOptions, io: ProcessIO) async throws -> Int32 {
        try await base.execSession(id, spec, options: options, io: io)
    }
    func attach(
        _ id: String, io: ProcessIO, rows: UInt16?, columns: UInt16?,
        whenAttached: @escaping @Sendable () async throws -> Void
    ) async throws -> AttachEnd {
        try await base.attach(id, io: io, rows: rows, columns: columns, whenAttached: whenAttached)
    }
}

/// The containers one command meets, by id: their names, labels and images,
/// which do not change while it runs. The decorators of a command share
/// one, so the runtime lists every container once for the whole command,
/// not once a step (a 20-container `down` made 40 listings). Steps run in
/// parallel, so behind a lock.
final class ContainerDirectory: Sendable {
    private let runtime: any ContainerRuntime
    private let byID = Mutex<[String: ContainerInfo]>([:])

    /// A directory that lists `runtime`'s containers when it meets an id it does not know.
    init(runtime: any ContainerRuntime) {
        self.runtime = runtime
    }

    /// The container as the runtime lists it; nil when it lists no such id.
    func info(of id: String) async -> ContainerInfo? {
        if let info = byID.withLock({ $0[id] }) { return info }
        guard let all = try? await runtime.containers(matching: LabelFilter()) else { return nil }
        add(all)
        return byID.withLock { $0[id] }
    }

    /// Remembers containers met otherwise (just created).
    func add(_ infos: [ContainerInfo]) {
        byID.withLock { table in
            for info in infos { table[info.id] = info }
        }
    }
}
