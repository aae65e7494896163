import BerthModel

/// The daemon's routes. Every call is `POST /v1/<route>` with a JSON body
/// (the route's request type) over berthd's unix socket.
///
/// A plain route answers `200` with its response type as JSON, or a
/// non-2xx status with a `BerthError` as JSON. A streaming route answers
/// `200` with chunked newline-delimited JSON, one `StreamFrame` per line,
/// and ends with a `result` or a `failure` frame.
public enum Route: String, Sendable, CaseIterable {
    /// `Empty` → `DaemonInfo`.
    case ping
    /// `UpRequest` → stream of `ProgressEvent`, result `UpResult`.
    case up
    /// `DownRequest` → stream of `ProgressEvent`, result `Empty`.
    case down
    /// `ContainerActionRequest` → stream of `ProgressEvent`, result `Empty`.
    case containerAction = "container-action"
    /// `PsRequest` → `[ContainerSummary]`.
    case ps
    /// `LogsRequest` → stream of `LogEntry`, result `Empty`.
    case logs
    /// `ExecRequest` → stream of `ExecChunk` (the output as it comes),
    /// result `ExecExit`.
    case exec
    /// `RunRequest` → stream of `RunOutput` (progress, then the container's
    /// lines), result `RunResult`.
    case run
    /// `WaitRequest` → `WaitResponse`.
    case wait
    /// `EventsRequest` → stream of `EventRecord` (never ends by itself).
    case events
    /// `TopRequest` → `[TopEntry]`.
    case top
    /// `Empty` → `[ProjectSummary]`.
    case projects
    /// `Empty` → `[ImageSummary]`.
    case images
    /// `ImageImportRequest` → `[ImageSummary]`.
    case imageImport = "image-import"
    /// `NamesRequest` → `[String]` (what was removed).
    case imageRemove = "image-remove"
    /// `NamesRequest` → `[ImageSummary]` with config.
    case imageInspect = "image-inspect"
    /// `Empty` → `[VolumeSummary]`.
    case volumes
    /// `VolumeCreateRequest` → `VolumeSummary`.
    case volumeCreate = "volume-create"
    /// `NamesRequest` → `[String]`.
    case volumeRemove = "volume-remove"
    /// `Empty` → `[String]` (removed).
    case volumePrune = "volume-prune"
    /// `Empty` → `[NetworkSummary]`.
    case networks
    /// `NamesRequest` → `[String]`.
    case networkRemove = "network-remove"
    /// `Empty` → `[String]` (removed).
    case networkPrune = "network-prune"

    /// The HTTP path of the route.
    public var path: String { "/v1/" + rawValue }
}

/// One line of a streaming answer.
public enum StreamFrame<Item: Codable & Sendable, Result: Codable & Sendable>: Codable, Sendable {
    case item(Item)
    case result(Result)
    case failure(BerthError)
}

/// A body with nothing in it.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}

/// What `ping` tells: the daemon is there, and which one.
public struct DaemonInfo: Codable, Sendable, Hashable {
    public var version: String
    public var pid: Int32
    public var root: String
    public var socket: String

    public init(version: String, pid: Int32, root: String, socket: String) {
        self.version = version
        self.pid = pid
        self.root = root
        self.socket = socket
    }
}

/// A list of names (images, volumes, networks) and whether to force.
public struct NamesRequest: Codable, Sendable, Hashable {
    public var names: [String]
    public var force: Bool

    public init(names: [String], force: Bool = false) {
        self.names = names
        self.force = force
    }
}
