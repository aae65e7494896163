import BerthModel
import RuntimeKit

/// The cache as `system df` counts it and as `builder prune` empties it.
/// An entry is a step's key and the layer it made; its layer may also be
/// one of an image's (a built image is made of its steps' layers), and
/// then deleting it would free nothing: such an entry is "active".
extension ImageBuilder {
    public func cacheUsage() async throws -> DiskUsageRow {
        let entries = cache.entries
        let inImages = try await backend.layersInImages()
        let sizes = await backend.layerSizes(Set(entries.map(\.layer)))
        let present = entries.filter { sizes[$0.layer] != nil }
        let layers = Set(present.map(\.layer))
        let size = layers.reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
        let reclaimable = layers.subtracting(inImages).reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
        return DiskUsageRow(
            type: "Build Cache", total: present.count, active: present.filter { inImages.contains($0.layer) }.count,
            size: size, reclaimable: reclaimable)
    }

    /// Without `all`, the entries whose layers no image uses (docker's
    /// dangling cache); with it, every entry. With `keepStorage`, entries go
    /// least recently used first until the cache's layers hold at most that
    /// many bytes. The layers of the forgotten entries that no image uses
    /// are deleted; an image's layers stay with the image.
    public func pruneCache(_ request: BuilderPruneRequest) async throws -> BuilderPruneResult {
        let entries = cache.entries.sorted { $0.lastUsed < $1.lastUsed }
        let inImages = try await backend.layersInImages()
        let sizes = await backend.layerSizes(Set(entries.map(\.layer)))
        var candidates = request.all ? entries : entries.filter { !inImages.contains($0.layer) }
        if let floor = request.keepStorage {
            var held = Set(entries.map(\.layer)).reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
            var chosen: [BuildCache.Entry] = []
            var remaining = entries.map(\.layer)
            for entry in candidates where held > floor {
                chosen.append(entry)
                if let index = remaining.firstIndex(of: entry.layer) { remaining.remove(at: index) }
                // A layer two keys share is freed with the last of them.
                if !remaining.contains(entry.layer) { held -= sizes[entry.layer] ?? 0 }
            }
            candidates = chosen
        }
        let keys = Set(candidates.map(\.key))
        let forgotten = Set(candidates.map(\.layer))
        let kept = Set(entries.filter { !keys.contains($0.key) }.map(\.layer))
        cache.forget(keys, images: request.all && request.keepStorage == nil)
        try cache.save()
        let reclaimed = try await backend.removeUnusedLayers(forgotten.subtracting(kept))
        return BuilderPruneResult(removed: keys.count, reclaimed: reclaimed)
    }
}
