import BerthModel

@testable import Builder

/// The config of the busybox image the system tests make: a PATH, `sh` as
/// its command, one history entry.
func busyboxConfig(onBuild: [String]? = nil) -> DockerImageConfig {
    var config = ContainerConfig()
    config.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    config.cmd = ["sh"]
    config.onBuild = onBuild
    return DockerImageConfig(
        architecture: "amd64", os: "linux", config: config,
        history: [HistoryEntry(createdBy: "BusyBox 1.36 rootfs", emptyLayer: false, comment: nil)])
}

/// The images the planning tests use, by reference.
func testImages(busyboxID: String = "sha256:" + String(repeating: "b", count: 64), onBuild: [String]? = nil)
    -> [String: BaseImage]
{
    let busybox = BaseImage(id: busyboxID, config: busyboxConfig(onBuild: onBuild))
    var tools = ContainerConfig()
    tools.workingDir = "/tools"
    tools.user = "tooler"
    return [
        "busybox": busybox, "busybox:1.36": busybox,
        "tools": BaseImage(
            id: "sha256:" + String(repeating: "7", count: 64),
            config: DockerImageConfig(architecture: "amd64", os: "linux", config: tools)),
    ]
}

/// The plan of `text` with these options and images.
func plan(
    _ text: String, options: BuildOptions = BuildOptions(), images: [String: BaseImage] = testImages()
) throws -> BuildPlan {
    try BuildGraph(dockerfile: parse(text), options: options).plan(images: images)
}

/// The `created_by` of each history entry a stage wrote itself (after its base's).
func createdBy(_ stage: PlannedStage, after baseEntries: Int = 1) -> [String] {
    stage.config.history.dropFirst(baseEntries).map { ($0.emptyLayer ? "" : "+ ") + ($0.createdBy ?? "") }
}

/// The operation of step `index` of a stage, as a `RunStep` (nil otherwise).
func runStep(_ stage: PlannedStage, _ index: Int) -> RunStep? {
    guard case .run(let run) = stage.steps[index].operation else { return nil }
    return run
}

/// The operation of step `index` of a stage, as a `CopyStep` (nil otherwise).
func copyStep(_ stage: PlannedStage, _ index: Int) -> CopyStep? {
    guard case .copy(let copy) = stage.steps[index].operation else { return nil }
    return copy
}
