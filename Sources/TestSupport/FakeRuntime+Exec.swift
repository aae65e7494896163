import BerthModel
import RuntimeKit

/// A `FakeRuntime` whose `exec` answers come from the test: a probe that
/// fails, prints, or hangs until the test's clock says otherwise.
///
/// Everything else is the wrapped fake's, so its `calls`, state and events
/// stay the ones to check. `exec` still goes through the fake first, which
/// records the call and refuses a container that does not run; the handler
/// then decides the result. A wrapper rather than a stored hook in
/// `FakeRuntime` itself, so the fake's file stays as it is.
public actor ExecScriptedRuntime: ContainerRuntime {
    /// What an exec returns: gets the container's id and the exec; may throw or wait.
    public typealias Handler = @Sendable (_ id: String, _ spec: ExecSpec) async throws -> ExecResult

    /// The runtime every other call goes to.
    public let fake: FakeRuntime
    private var handler: Handler

    /// Wraps `fake`; execs succeed with no output until `onExec` says otherwise.
    public init(
        _ fake: FakeRuntime,
        onExec handler: @escaping Handler = { _, _ in ExecResult(exitCode: 0, stdout: "", stderr: "") }
    ) {
        self.fake = fake
        self.handler = handler
    }

    /// Replaces the exec handler (a probe that starts failing, then recovers).
    public func onExec(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Every exec answers with `exitCode` and `output` on stdout.
    public func onExec(exitCode: Int32, output: String = "") {
        handler = { _, _ in ExecResult(exitCode: exitCode, stdout: output, stderr: "") }
    }

    /// The fake's checks and record, then the handler's answer.
    public func exec(_ id: String, _ spec: ExecSpec) async throws -> ExecResult {
        _ = try await fake.exec(id, spec)
        let answer = handler
        return try await answer(id, spec)
    }

    // MARK: Everything else is the fake's

    public func image(_ reference: String) async throws -> ImageInfo { try await fake.image(reference) }
    public func images() async throws -> [ImageInfo] { try await fake.images() }
    public func createContainer(_ spec: ContainerSpec) async throws -> ContainerInfo {
        try await fake.createContainer(spec)
    }
    public func startContainer(_ id: String) async throws { try await fake.startContainer(id) }
    public func killContainer(_ id: String, signal: String) async throws {
        try await fake.killContainer(id, signal: signal)
    }
    public func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        try await fake.stopContainer(id, signal: signal, grace: grace)
    }
    public func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws {
        try await fake.removeContainer(id, force: force, keepingAnonymousVolumes: keepingAnonymousVolumes)
    }
    public func containers(matching filter: LabelFilter) async throws -> [ContainerInfo] {
        try await fake.containers(matching: filter)
    }
    public func waitContainer(_ id: String) async throws -> Int32 { try await fake.waitContainer(id) }
    public func createNetwork(_ spec: NetworkSpec) async throws -> NetworkInfo { try await fake.createNetwork(spec) }
    public func removeNetwork(_ name: String) async throws { try await fake.removeNetwork(name) }
    public func networks(matching filter: LabelFilter) async throws -> [NetworkInfo] {
        try await fake.networks(matching: filter)
    }
    public func createVolume(name: String, labels: [String: String]) async throws -> VolumeInfo {
        try await fake.createVolume(name: name, labels: labels)
    }
    public func removeVolume(_ name: String) async throws { try await fake.removeVolume(name) }
    public func volumes(matching filter: LabelFilter) async throws -> [VolumeInfo] {
        try await fake.volumes(matching: filter)
    }
    public func events() async -> AsyncStream<RuntimeEvent> { await fake.events() }
}
