import BerthModel
import Registry

/// What `ImageStore.remove` did, in `docker rmi`'s terms.
public struct ImageRemoval: Hashable, Sendable {
    /// Names taken off.
    public var untagged: [ImageReference]
    /// Images deleted (their manifests' digests); empty when other names still hold the image.
    public var deleted: [Digest]
}

extension ImageStore {
    /// Removes the name `reference`. When it was the image's last name (or
    /// `reference` pins a digest, which means the image itself) the image is
    /// deleted, and with it every blob and layer no other image uses, unless
    /// `inUse` names users of it (containers made from it): then nothing changes
    /// and the error names them.
    ///
    /// `inUse` is asked about the image's manifest digest (`Image.digest`),
    /// with the store locked: it must answer from its own state, not call back.
    @discardableResult
    public func remove(_ reference: ImageReference, inUse: (Digest) -> [String]) throws(BerthError) -> ImageRemoval {
        try locked { () throws(BerthError) -> ImageRemoval in
            var index = try TagIndex.load(indexPath)
            guard let descriptor = find(reference, in: index) else { throw notFound(reference) }
            let names = index.names(of: descriptor.digest)
            if reference.digest == nil, names.count > 1 {
                index.tags[reference] = nil
                try index.save(indexPath, temporaryDirectory: temporaryDirectory)
                return ImageRemoval(untagged: [reference], deleted: [])
            }
            return try delete(descriptor.digest, shown: "\"\(reference.familiar)\"", index: &index, inUse: inUse)
        }
    }

    /// Removes the image with this manifest digest, all its names with it
    /// (`docker rmi <id>`); refused, as `remove(_:inUse:)` is, while in use.
    @discardableResult
    public func remove(digest: Digest, inUse: (Digest) -> [String]) throws(BerthError) -> ImageRemoval {
        try locked { () throws(BerthError) -> ImageRemoval in
            var index = try TagIndex.load(indexPath)
            guard index.manifests[digest] != nil else { throw BerthError(.notFound, "image \(digest) not found") }
            return try delete(digest, shown: digest.description, index: &index, inUse: inUse)
        }
    }

    /// Takes names off an image and never deletes it: `reference` itself,
    /// or every name of the image a digest reference pins. An image left
    /// without a name stays as an untagged one (`docker rmi --force` of an
    /// image that containers were made from).
    @discardableResult
    public func untag(_ reference: ImageReference) throws(BerthError) -> ImageRemoval {
        try locked { () throws(BerthError) -> ImageRemoval in
            var index = try TagIndex.load(indexPath)
            guard let descriptor = find(reference, in: index) else { throw notFound(reference) }
            let names = reference.digest == nil ? [reference] : index.names(of: descriptor.digest)
            for name in names { index.tags[name] = nil }
            if index.names(of: descriptor.digest).isEmpty { index.untagged[descriptor.digest] = descriptor }
            try index.save(indexPath, temporaryDirectory: temporaryDirectory)
            return ImageRemoval(untagged: names, deleted: [])
        }
    }

    private func delete(
        _ digest: Digest, shown: String, index: inout TagIndex, inUse: (Digest) -> [String]
    ) throws(BerthError) -> ImageRemoval {
        let users = inUse(digest)
        guard users.isEmpty else {
            throw BerthError(
                .inUse,
                "cannot remove image \(shown): it is in use by \(users.count == 1 ? "container" : "containers") "
                    + "\(users.joined(separator: ", ")); remove \(users.count == 1 ? "it" : "them") first")
        }
        let names = index.names(of: digest)
        for name in names { index.tags[name] = nil }
        index.untagged[digest] = nil
        try index.save(indexPath, temporaryDirectory: temporaryDirectory)
        try collectGarbage(index)
        return ImageRemoval(untagged: names, deleted: [digest])
    }

    /// Deletes every blob and unpacked layer that no image in `index` uses,
    /// which also clears what a crash between writing blobs and writing the
    /// index left behind. An image that cannot be read keeps its manifest
    /// blob, so it still shows (and fails) rather than vanishing.
    ///
    /// Teardown keeps going: every deletion is tried, then the failures are
    /// reported together.
    private func collectGarbage(_ index: TagIndex) throws(BerthError) {
        var keepBlobs: Set<Digest> = []
        var keepLayers: Set<Digest> = []
        for descriptor in index.manifests.values {
            keepBlobs.insert(descriptor.digest)
            guard let image = try? load(descriptor, index: index) else { continue }
            keepBlobs.insert(image.configDigest)
            for layer in image.layers {
                keepBlobs.insert(layer.digest)
                keepLayers.insert(layer.diffID)
            }
        }
        var failures: [String] = []
        for digest in try blobs.all() where !keepBlobs.contains(digest) {
            do { try blobs.remove(digest) } catch { failures.append(error.description) }
        }
        for diffID in try layers.all() where !keepLayers.contains(diffID) {
            do { try layers.remove(diffID) } catch { failures.append(error.description) }
        }
        guard failures.isEmpty else {
            throw BerthError(
                .io, "removing unused image content failed for \(failures.count) item(s)",
                cause: failures.joined(separator: "; "))
        }
    }
}
