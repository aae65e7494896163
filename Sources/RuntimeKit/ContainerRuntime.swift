import BerthModel

/// What the reconciler and the supervisor drive: containers, networks,
/// volumes and images on one host. `RuntimeLinux` is the real one;
/// `RuntimeTesting.FakeRuntime` keeps everything in memory for tests.
///
/// Every failure is a `BerthError` whose message names the operation, the
/// object and the value.
public protocol ContainerRuntime: Sendable {
    // MARK: Images
    /// The image a reference names, or an error that says how to get one.
    func image(_ reference: String) async throws -> ImageInfo
    func images() async throws -> [ImageInfo]

    // MARK: Containers
    /// Creates (does not start) a container; its networks and volumes must exist.
    func createContainer(_ spec: ContainerSpec) async throws -> ContainerInfo
    func startContainer(_ id: String) async throws
    /// Sends a signal (a name like `SIGTERM` or a number).
    func killContainer(_ id: String, signal: String) async throws
    /// The stop signal, then SIGKILL after `grace` nanoseconds.
    func stopContainer(_ id: String, signal: String, grace: Int64) async throws
    /// Removes a stopped container (a running one only with `force`).
    func removeContainer(_ id: String, force: Bool) async throws
    /// Every container whose labels match, in one snapshot.
    func containers(matching filter: LabelFilter) async throws -> [ContainerInfo]
    /// Waits for the container to exit and returns its exit code.
    func waitContainer(_ id: String) async throws -> Int32
    func exec(_ id: String, _ spec: ExecSpec) async throws -> ExecResult

    // MARK: Networks
    func createNetwork(_ spec: NetworkSpec) async throws -> NetworkInfo
    /// Refused while a container is attached.
    func removeNetwork(_ name: String) async throws
    func networks(matching filter: LabelFilter) async throws -> [NetworkInfo]

    // MARK: Volumes
    func createVolume(name: String, labels: [String: String]) async throws -> VolumeInfo
    /// Refused while a container uses it, naming the container.
    func removeVolume(_ name: String) async throws
    func volumes(matching filter: LabelFilter) async throws -> [VolumeInfo]

    // MARK: Events
    /// Container events from now on.
    func events() async -> AsyncStream<RuntimeEvent>
}
