import BerthModel
import Foundation
import Registry

/// What the image builder adds to the store: layers it made (the tar as a
/// blob, the directory it made as the unpacked layer) and images of them.
extension ImageStore {
    /// Where the builder stages tars: beside the blobs, so a rename moves one in.
    var buildTemporaryDirectory: String { temporaryDirectory }

    /// The unpacked directory of a layer.
    func layerDirectory(_ diffID: Digest) -> String { layers.path(diffID) }

    /// Whether both the blob and the unpacked directory of a layer are here.
    func hasLayer(_ diffID: Digest) -> Bool { layers.contains(diffID) && blobs.contains(diffID) }

    /// Adds a layer the builder made: `tar` (uncompressed, whose digest is
    /// `diffID`) becomes its blob, `directory` (the same files, in
    /// overlayfs's form) its unpacked directory. Both are moved in, or
    /// deleted when the store has the layer already.
    func addBuiltLayer(tar: String, diffID: Digest, directory: String) throws(BerthError) {
        try locked { () throws(BerthError) in
            if blobs.contains(diffID) {
                FileOps.removeTree(tar)
            } else {
                try FileOps.rename(tar, blobs.path(diffID))
            }
            if layers.contains(diffID) {
                FileOps.removeTree(directory)
            } else {
                try FileOps.rename(directory, layers.path(diffID))
            }
        }
    }

    /// The config blob of an image, as stored.
    func configBytes(of image: Image) throws(BerthError) -> [UInt8] {
        try blobs.read(image.configDigest, what: "the config of \(image.displayName)")
    }

    /// Stores an image of the built layers (each an uncompressed tar blob)
    /// with this config, and points `tags` at it. Returns the config digest.
    func addBuiltImage(config: [UInt8], layers diffIDs: [Digest], tags: [ImageReference]) throws(BerthError) -> Digest {
        try locked { () throws(BerthError) -> Digest in
            var index = try TagIndex.load(indexPath)
            let known = knownLayers(index)
            var descriptors: [Descriptor] = []
            for diffID in diffIDs {
                // A base image's layer keeps its blob (compressed, as pulled or imported).
                if let layer = known[diffID], blobs.contains(layer.digest) {
                    descriptors.append(Descriptor(mediaType: layer.mediaType, digest: layer.digest, size: layer.size))
                    continue
                }
                guard blobs.contains(diffID) else {
                    throw BerthError(.notFound, "the built layer \(diffID) is missing from the store")
                }
                let size = Int64(
                    (try? FileManager.default.attributesOfItem(atPath: blobs.path(diffID))[.size] as? Int) ?? 0)
                descriptors.append(Descriptor(mediaType: MediaType.ociLayer, digest: diffID, size: size))
            }
            let (configDigest, configSize, _) = try blobs.write(config, expected: nil, what: "the built image's config")
            let manifest = Manifest(
                schemaVersion: 2, mediaType: MediaType.ociManifest,
                config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: configSize),
                layers: descriptors)
            let bytes = try encodeJSON(manifest, what: "the built image's manifest")
            let (digest, size, _) = try blobs.write(bytes, expected: nil, what: "the built image's manifest")
            let descriptor = Descriptor(mediaType: MediaType.ociManifest, digest: digest, size: size)
            if tags.isEmpty { index.untagged[digest] = descriptor }
            for tag in tags { index.point(tag, at: descriptor) }
            try index.save(indexPath, temporaryDirectory: temporaryDirectory)
            return configDigest
        }
    }

    /// The layers of the images in the store, by diff ID.
    private func knownLayers(_ index: TagIndex) -> [Digest: ImageLayer] {
        var layers: [Digest: ImageLayer] = [:]
        for descriptor in index.manifests.values {
            guard let image = try? load(descriptor, index: index) else { continue }
            for layer in image.layers where layer.digest != layer.diffID { layers[layer.diffID] = layer }
        }
        return layers
    }

    /// Points `tags` at the image whose config digest is `id`; false when no such image is here.
    func retagBuilt(_ id: Digest, tags: [ImageReference]) throws(BerthError) -> Bool {
        try locked { () throws(BerthError) -> Bool in
            var index = try TagIndex.load(indexPath)
            for descriptor in index.manifests.values {
                guard let image = try? load(descriptor, index: index), image.configDigest == id,
                    image.layers.allSatisfy({ layers.contains($0.diffID) })
                else { continue }
                for tag in tags { index.point(tag, at: descriptor) }
                try index.save(indexPath, temporaryDirectory: temporaryDirectory)
                return true
            }
            return false
        }
    }
}
