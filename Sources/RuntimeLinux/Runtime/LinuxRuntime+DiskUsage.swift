import BerthModel
import HostOS
import Registry
import RuntimeKit

extension LinuxRuntime {
    /// `system df`'s rows for images, containers and local volumes, as
    /// docker counts them: an image is active while a container was made
    /// from it, a container while it runs, a volume while a container
    /// mounts it; reclaimable is what the inactive ones hold. Images share
    /// layers, so each layer counts once. Sizes come from the files.
    public func diskUsage() async throws -> [DiskUsageRow] {
        let containers = records.values.filter { $0.phase != .creating }.map { record in
            (
                info: info(record),
                directory: ContainerID(record.id).map { ContainerPaths(root: configuration.root, id: $0) }
            )
        }
        let usedImages = Set(records.values.map(\.imageDigest))
        let mountedVolumes = Set(records.values.flatMap { $0.volumes + $0.anonymousVolumes })
        let store = imageStore
        let volumes = try volumeStore.list()
        return try await DedicatedThread.run {
            let images = try store.list()
            var layerSizes: [Digest: Int64] = [:]
            for layer in images.flatMap(\.layers) where layerSizes[layer.diffID] == nil {
                layerSizes[layer.diffID] = store.layerDiskSize(layer.diffID)
            }
            let activeImages = images.filter { usedImages.contains($0.digest.description) }
            let kept = Set(activeImages.flatMap { $0.layers.map(\.diffID) })
            let imageRow = DiskUsageRow(
                type: "Images", total: images.count, active: activeImages.count,
                size: layerSizes.values.reduce(0, +),
                reclaimable: layerSizes.filter { !kept.contains($0.key) }.values.reduce(0, +))
            var containerRow = DiskUsageRow(
                type: "Containers", total: containers.count, active: 0, size: 0, reclaimable: 0)
            for container in containers {
                let size = container.directory.map { DiskSize.of($0.upper) } ?? 0
                containerRow.size += size
                if container.info.state.isRunning {
                    containerRow.active += 1
                } else {
                    containerRow.reclaimable += size
                }
            }
            var volumeRow = DiskUsageRow(
                type: "Local Volumes", total: volumes.count, active: 0, size: 0, reclaimable: 0)
            for volume in volumes {
                let size = DiskSize.of(volume.mountpoint)
                volumeRow.size += size
                if mountedVolumes.contains(volume.name.rawValue) {
                    volumeRow.active += 1
                } else {
                    volumeRow.reclaimable += size
                }
            }
            return [imageRow, containerRow, volumeRow]
        }
    }
}
