import BerthModel
import Builder
import HostOS
import Registry

/// The build cache's layers in the image store, for `system df` and
/// `builder prune`. (Beside the store rather than in Build/, which holds
/// what a build step does.)
extension LinuxBuildBackend {
    public func layerSizes(_ diffIDs: Set<String>) async -> [String: Int64] {
        let store = store
        return
            (try? await DedicatedThread.run { () -> [String: Int64] in
                var sizes: [String: Int64] = [:]
                for text in diffIDs {
                    guard let digest = try? Digest(parsing: text), store.hasLayer(digest) else { continue }
                    sizes[text] = store.layerDiskSize(digest)
                }
                return sizes
            }) ?? [:]
    }

    public func layersInImages() async throws -> Set<String> {
        let store = store
        return try await DedicatedThread.run { Set(try store.layersOfImages().map(\.description)) }
    }

    public func removeUnusedLayers(_ diffIDs: Set<String>) async throws -> Int64 {
        let store = store
        let digests = Set(diffIDs.compactMap { try? Digest(parsing: $0) })
        return try await DedicatedThread.run { try store.removeUnusedLayers(digests) }
    }
}
