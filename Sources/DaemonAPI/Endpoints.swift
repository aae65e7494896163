import BerthModel

// The routes of berthd's socket. Each is declared once, with its request and
// response types; the path is `/v1/` followed by the name given here.

extension Endpoint where Request == Empty, Response == DaemonInfo {
    /// The daemon is there, and which one.
    public static var ping: Self { Self("ping") }
}

extension StreamingEndpoint where Request == UpRequest, Item == ProgressEvent, Result == UpResult {
    /// `berth up`: progress as it goes.
    public static var up: Self { Self("up") }
}

extension StreamingEndpoint where Request == DownRequest, Item == ProgressEvent, Result == Empty {
    /// `berth down`: progress as it goes.
    public static var down: Self { Self("down") }
}

extension StreamingEndpoint where Request == ContainerActionRequest, Item == ProgressEvent, Result == Empty {
    /// `start`, `stop`, `restart`, `kill`, `rm`: progress as it goes.
    public static var containerAction: Self { Self("container-action") }
}

extension Endpoint where Request == PsRequest, Response == [ContainerSummary] {
    /// `berth ps`.
    public static var ps: Self { Self("ps") }
}

extension StreamingEndpoint where Request == LogsRequest, Item == LogEntry, Result == Empty {
    /// `berth logs`: each line as it comes.
    public static var logs: Self { Self("logs") }
}

extension StreamingEndpoint where Request == ExecRequest, Item == ExecChunk, Result == ExecExit {
    /// `berth exec`: the output as it comes, then the exit code.
    public static var exec: Self { Self("exec") }
}

extension StreamingEndpoint where Request == RunRequest, Item == RunOutput, Result == RunResult {
    /// `berth run`: progress, then the container's lines, then how it ended.
    public static var run: Self { Self("run") }
}

extension Endpoint where Request == WaitRequest, Response == WaitResponse {
    /// `berth wait`.
    public static var wait: Self { Self("wait") }
}

extension StreamingEndpoint where Request == EventsRequest, Item == EventRecord, Result == Empty {
    /// `berth events`: never ends by itself.
    public static var events: Self { Self("events") }
}

extension Endpoint where Request == TopRequest, Response == [TopEntry] {
    /// `berth top`.
    public static var top: Self { Self("top") }
}

extension Endpoint where Request == StatsRequest, Response == [StatsEntry] {
    /// `berth stats`: two readings half a second apart.
    public static var stats: Self { Self("stats") }
}

extension Endpoint where Request == CopyRequest, Response == Empty {
    /// `berth cp`: berthd runs on the client's host, so both sides are paths.
    public static var copy: Self { Self("copy") }
}

extension Endpoint where Request == Empty, Response == [ProjectSummary] {
    /// `berth ls`.
    public static var projects: Self { Self("projects") }
}

extension StreamingEndpoint where Request == ImageBuildRequest, Item == ImageBuildEvent, Result == ImageBuildResult {
    /// `berth image build` and `berth build`: each step as it goes, then the
    /// image. berthd runs on the client's host, so the request names the
    /// context directory by its path; nothing is uploaded.
    public static var imageBuild: Self { Self("image-build") }
}

extension Endpoint where Request == BuilderPruneRequest, Response == BuilderPruneResult {
    /// `berth builder prune`: what went, and the bytes freed.
    public static var builderPrune: Self { Self("builder-prune") }
}

extension Endpoint where Request == Empty, Response == [DiskUsageRow] {
    /// `berth system df`: images, containers, local volumes and the build cache.
    public static var systemDiskUsage: Self { Self("system-df") }
}

extension Endpoint where Request == Empty, Response == [ImageSummary] {
    /// `berth images`.
    public static var images: Self { Self("images") }
}

extension Endpoint where Request == ImageImportRequest, Response == [ImageSummary] {
    /// `berth image import`: what was imported.
    public static var imageImport: Self { Self("image-import") }
}

extension Endpoint where Request == NamesRequest, Response == [ImageSummary] {
    /// `berth image inspect`: the named images, with their config.
    public static var imageInspect: Self { Self("image-inspect") }
}

extension Endpoint where Request == NamesRequest, Response == [ImageDetails] {
    /// `berth image inspect`: each named image's ID, names, config and layers.
    public static var imageDetails: Self { Self("image-details") }
}

extension Endpoint where Request == Empty, Response == [VolumeSummary] {
    /// `berth volume ls`.
    public static var volumes: Self { Self("volumes") }
}

extension Endpoint where Request == VolumeCreateRequest, Response == VolumeSummary {
    /// `berth volume create`.
    public static var volumeCreate: Self { Self("volume-create") }
}

extension Endpoint where Request == Empty, Response == [NetworkSummary] {
    /// `berth network ls`.
    public static var networks: Self { Self("networks") }
}

extension Endpoint where Request == NamesRequest, Response == [String] {
    /// `berth image rm`: what was removed.
    public static var imageRemove: Self { Self("image-remove") }
    /// `berth volume rm`: what was removed.
    public static var volumeRemove: Self { Self("volume-remove") }
    /// `berth network rm`: what was removed.
    public static var networkRemove: Self { Self("network-remove") }
}

extension Endpoint where Request == Empty, Response == [String] {
    /// `berth volume prune`: what was removed.
    public static var volumePrune: Self { Self("volume-prune") }
    /// `berth network prune`: what was removed.
    public static var networkPrune: Self { Self("network-prune") }
}

extension StreamingEndpoint where Request == ImagePullRequest, Item == ProgressEvent, Result == ImageTransferResult {
    /// `berth pull`, `berth image pull`: progress per image and per layer.
    public static var imagePull: Self { Self("image-pull") }
}

extension StreamingEndpoint where Request == ImagePushRequest, Item == ProgressEvent, Result == ImageTransferResult {
    /// `berth push`, `berth image push`: progress per image and per layer.
    public static var imagePush: Self { Self("image-push") }
}

extension Endpoint where Request == ImageTagRequest, Response == ImageSummary {
    /// `berth image tag`.
    public static var imageTag: Self { Self("image-tag") }
}

extension Endpoint where Request == LoginRequest, Response == [String] {
    /// `berth login`: checks the credentials with the registry, then records them; the lines to print.
    public static var login: Self { Self("login") }
    /// `berth logout`: forgets the registry's credentials; the lines to print.
    public static var logout: Self { Self("logout") }
}
