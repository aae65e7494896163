import BerthModel

/// What the reconciler and the supervisor drive: containers, networks,
/// volumes and images on one host. `RuntimeLinux` is the real one;
/// `TestSupport.FakeRuntime` keeps everything in memory for tests.
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
    /// Removes a stopped container (a running one only with `force`), and
    /// its anonymous volumes unless `keepingAnonymousVolumes` (for a
    /// recreate, whose new container inherits them).
    func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws
    /// Every container whose labels match, in one snapshot.
    func containers(matching filter: LabelFilter) async throws -> [ContainerInfo]
    /// Waits for the container to exit and returns its exit code.
    func waitContainer(_ id: String) async throws -> Int32
    func exec(_ id: String, _ spec: ExecSpec) async throws -> ExecResult
    /// `exec` with the output handed to `output` as it comes, byte for byte,
    /// and not kept; returns the exit code.
    func exec(_ id: String, _ spec: ExecSpec, output: @escaping @Sendable (ExecStream, [UInt8]) -> Void)
        async throws -> Int32

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

    // MARK: Optional (defaults below say the runtime cannot)
    /// The container's output.
    func logs(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<LogRecord, any Error>
    /// `logs` without `follow`, several lines at a time: a full read of a
    /// long log costs one hand-over per batch, not one per line.
    func logBatches(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<[LogRecord], any Error>
    /// Imports an OCI layout or archive, a `docker save` tarball, or a root filesystem as `reference`.
    func importImage(path: String, reference: String?) async throws -> [ImageInfo]
    /// Removes an image; refused while a container uses it unless `force`. Returns what went.
    func removeImage(_ reference: String, force: Bool) async throws -> [String]
    /// The processes running in a container.
    func processes(_ id: String) async throws -> ProcessTable
    /// Pulls an image from its registry (ImageTransfer.swift).
    func pullImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> ImageInfo
    /// Pushes an image to its registry; returns the manifest digest.
    func pushImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> String
    /// Gives an image a further name.
    func tagImage(_ source: String, as target: String) async throws -> ImageInfo
    /// Checks credentials with a registry and records them in a docker config directory.
    func login(_ login: RegistryLogin) async throws -> String
    /// Forgets a registry's credentials in a docker config directory; false when there were none.
    func logout(_ login: RegistryLogin) async throws -> Bool
    /// An image's ID, names, config and layers, for `image inspect`.
    func imageDetails(_ reference: String) async throws -> ImageDetails
    /// An exec with its streams relayed both ways, maybe on a terminal (ProcessIO.swift).
    func execSession(_ id: String, _ spec: ExecSpec, options: ExecSessionOptions, io: ProcessIO) async throws -> Int32
    /// Freezes (`paused`) or thaws a running container's processes (cgroup freezer).
    func pauseContainer(_ id: String, paused: Bool) async throws
    /// A running container's resource use now, from its cgroup and network namespace.
    func stats(_ id: String) async throws -> ContainerStats
    /// Copies between the host and a running container (`berth cp`).
    func copy(_ id: String, _ request: ContainerCopy) async throws
    /// `system df`'s rows for images, containers and local volumes, measured from the files.
    func diskUsage() async throws -> [DiskUsageRow]
    /// A container's terminal or open stdin and its output, relayed (ProcessIO.swift).
    func attach(
        _ id: String, io: ProcessIO, rows: UInt16?, columns: UInt16?,
        whenAttached: @escaping @Sendable () async throws -> Void
    ) async throws -> AttachEnd
}

/// Which lines of a container's log to read.
public struct LogQuery: Sendable, Hashable, Codable {
    /// Lines from the end; nil: all.
    public var tail: Int?
    /// Seconds since the epoch; only lines at or after it.
    public var since: Double?
    /// Keep reading new lines until the container is removed or the reader stops.
    public var follow: Bool
    /// With `follow`: end instead once the container has exited and its
    /// last line has been read (`berth run` shows one run's output).
    public var untilExit: Bool

    public init(tail: Int? = nil, since: Double? = nil, follow: Bool = false, untilExit: Bool = false) {
        self.tail = tail
        self.since = since
        self.follow = follow
        self.untilExit = untilExit
    }
}

/// One line of a container's output, as docker's json-file keeps it.
public struct LogRecord: Sendable, Hashable, Codable {
    /// RFC 3339 with nanoseconds.
    public var time: String
    /// `stdout` or `stderr`.
    public var stream: String
    /// The line without its newline.
    public var text: String

    public init(time: String, stream: String, text: String) {
        self.time = time
        self.stream = stream
        self.text = text
    }
}

/// The processes of a container, as `ps -ef` prints them.
public struct ProcessTable: Sendable, Hashable, Codable {
    public var titles: [String]
    public var processes: [[String]]

    public init(titles: [String], processes: [[String]]) {
        self.titles = titles
        self.processes = processes
    }
}

/// What only some runtimes do: the default of each says so.
extension ContainerRuntime {
    /// The output at the end, for runtimes that cannot stream it.
    public func exec(_ id: String, _ spec: ExecSpec, output: @escaping @Sendable (ExecStream, [UInt8]) -> Void)
        async throws -> Int32
    {
        let result = try await exec(id, spec)
        if !result.stdout.isEmpty { output(.stdout, Array(result.stdout.utf8)) }
        if !result.stderr.isEmpty { output(.stderr, Array(result.stderr.utf8)) }
        return result.exitCode
    }

    /// Removes a container and its anonymous volumes.
    public func removeContainer(_ id: String, force: Bool) async throws {
        try await removeContainer(id, force: force, keepingAnonymousVolumes: false)
    }

    /// The container's output.
    public func logs(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<LogRecord, any Error> {
        throw BerthError(.unsupported, "this runtime keeps no logs")
    }

    /// `logs`, a line a batch.
    public func logBatches(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<
        [LogRecord], any Error
    > {
        let lines = LineSource(try await logs(id, query))
        return AsyncThrowingStream { try await lines.next().map { [$0] } }
    }

    /// Imports an OCI layout or archive, a `docker save` tarball, or a root
    /// filesystem (directory or tar) as `reference`.
    public func importImage(path: String, reference: String?) async throws -> [ImageInfo] {
        throw BerthError(.unsupported, "this runtime cannot import images")
    }

    /// Removes an image's tag (and its content when nothing else uses it);
    /// refused while a container uses it unless `force`. Returns what went.
    public func removeImage(_ reference: String, force: Bool) async throws -> [String] {
        throw BerthError(.unsupported, "this runtime cannot remove images")
    }

    /// The processes running in a container.
    public func processes(_ id: String) async throws -> ProcessTable {
        throw BerthError(.unsupported, "this runtime cannot list processes")
    }

    public func imageDetails(_ reference: String) async throws -> ImageDetails {
        throw BerthError(.unsupported, "this runtime cannot show an image's details")
    }

    public func pauseContainer(_ id: String, paused: Bool) async throws {
        throw BerthError(.unsupported, "this runtime cannot pause containers")
    }

    public func stats(_ id: String) async throws -> ContainerStats {
        throw BerthError(.unsupported, "this runtime keeps no resource figures")
    }

    public func copy(_ id: String, _ request: ContainerCopy) async throws {
        throw BerthError(.unsupported, "this runtime cannot copy files")
    }

    public func diskUsage() async throws -> [DiskUsageRow] {
        throw BerthError(.unsupported, "this runtime cannot measure its disk use")
    }
}

/// A container's resource use at one moment, as docker's stats reads it
/// from the cgroup and the network namespace. Counters are cumulative.
public struct ContainerStats: Sendable, Hashable, Codable {
    /// CPU time used, nanoseconds.
    public var cpuNanoseconds: UInt64
    /// When it was read (seconds, monotonic), for the CPU share between two readings.
    public var readAt: Double
    /// Memory used, without the page cache docker leaves out (inactive files).
    public var memoryUsage: UInt64
    /// The memory limit; the host's memory when the container has none.
    public var memoryLimit: UInt64
    public var networkReceived: UInt64
    public var networkSent: UInt64
    public var blockRead: UInt64
    public var blockWritten: UInt64
    public var pids: UInt64

    public init(
        cpuNanoseconds: UInt64, readAt: Double, memoryUsage: UInt64, memoryLimit: UInt64, networkReceived: UInt64,
        networkSent: UInt64, blockRead: UInt64, blockWritten: UInt64, pids: UInt64
    ) {
        self.cpuNanoseconds = cpuNanoseconds
        self.readAt = readAt
        self.memoryUsage = memoryUsage
        self.memoryLimit = memoryLimit
        self.networkReceived = networkReceived
        self.networkSent = networkSent
        self.blockRead = blockRead
        self.blockWritten = blockWritten
        self.pids = pids
    }
}

/// One consumer's iterator over a stream of log lines, pulled one call at a time.
private final class LineSource: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<LogRecord, any Error>.AsyncIterator

    init(_ lines: AsyncThrowingStream<LogRecord, any Error>) { iterator = lines.makeAsyncIterator() }

    func next() async throws -> LogRecord? { try await iterator.next() }
}
