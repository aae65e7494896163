import BerthModel

/// What builds images from Dockerfiles, as berthd's service sees it: the
/// Builder target over the Linux runtime in berthd, a fake in tests.
public protocol ImageBuilding: Sendable {
    /// Builds `request`, reporting each step as it goes; tags the image only on success.
    func build(
        _ request: ImageBuildRequest, progress: @escaping @Sendable (ImageBuildEvent) -> Void
    ) async throws -> ImageBuildResult
    /// The build cache as `system df` counts it: entries, those an image's
    /// layers still use, the bytes of their layers, the bytes a prune frees.
    func cacheUsage() async throws -> DiskUsageRow
    /// `builder prune`: forgets cache entries and deletes the layers no image uses.
    func pruneCache(_ request: BuilderPruneRequest) async throws -> BuilderPruneResult
}

extension ImageBuilding {
    public func cacheUsage() async throws -> DiskUsageRow {
        DiskUsageRow(type: "Build Cache", total: 0, active: 0, size: 0, reclaimable: 0)
    }

    public func pruneCache(_ request: BuilderPruneRequest) async throws -> BuilderPruneResult {
        BuilderPruneResult(removed: 0, reclaimed: 0)
    }
}
