import BerthModel

/// What builds images from Dockerfiles, as berthd's service sees it: the
/// Builder target over the Linux runtime in berthd, a fake in tests.
public protocol ImageBuilding: Sendable {
    /// Builds `request`, reporting each step as it goes; tags the image only on success.
    func build(
        _ request: ImageBuildRequest, progress: @escaping @Sendable (ImageBuildEvent) -> Void
    ) async throws -> ImageBuildResult
}
