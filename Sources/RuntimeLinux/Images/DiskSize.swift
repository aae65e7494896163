import BerthModel
import Foundation
import Glibc
import Registry

/// Bytes a file tree holds, as `du --apparent-size` counts them: the sizes
/// of its regular files and symlinks, each hard-linked inode once. Never
/// follows a symlink or crosses into a mount (a running container's rootfs).
enum DiskSize {
    /// The tree at `path`; 0 when it is missing.
    static func of(_ path: String) -> Int64 {
        var seen: Set<UInt64> = []
        var root = stat()
        guard lstat(path, &root) == 0 else { return 0 }
        return walk(path, device: root.st_dev, seen: &seen)
    }

    private static func walk(_ path: String, device: UInt, seen: inout Set<UInt64>) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_dev == device else { return 0 }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            if info.st_nlink > 1, !seen.insert(UInt64(info.st_ino)).inserted { return 0 }
            return Int64(info.st_size)
        case S_IFLNK:
            return Int64(info.st_size)
        case S_IFDIR:
            guard let directory = opendir(path) else { return 0 }
            defer { closedir(directory) }
            var total: Int64 = 0
            while let entry = readdir(directory) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                total += walk(path + "/" + name, device: device, seen: &seen)
            }
            return total
        default:
            return 0
        }
    }
}

extension ImageStore {
    /// The bytes a layer holds on disk: its blob and its unpacked directory.
    func layerDiskSize(_ diffID: Digest) -> Int64 {
        var blob = stat()
        let blobBytes = lstat(blobs.path(diffID), &blob) == 0 ? Int64(blob.st_size) : 0
        return blobBytes + DiskSize.of(layers.path(diffID))
    }

    /// The diff IDs of every layer of every image in the store.
    func layersOfImages() throws(BerthError) -> Set<Digest> {
        Set(try list().flatMap { $0.layers.map(\.diffID) })
    }

    /// Deletes the blob and the unpacked directory of each of `diffIDs`
    /// that no image uses; the bytes that went.
    func removeUnusedLayers(_ diffIDs: Set<Digest>) throws(BerthError) -> Int64 {
        try locked { () throws(BerthError) -> Int64 in
            let index = try TagIndex.load(indexPath)
            var used: Set<Digest> = []
            for descriptor in index.manifests.values {
                guard let image = try? load(descriptor, index: index) else { continue }
                for layer in image.layers { used.insert(layer.diffID) }
            }
            var freed: Int64 = 0
            for diffID in diffIDs where !used.contains(diffID) {
                let size = layerDiskSize(diffID)
                if blobs.contains(diffID) { try blobs.remove(diffID) }
                if layers.contains(diffID) { try layers.remove(diffID) }
                freed += size
            }
            return freed
        }
    }
}
