import BerthModel
import Foundation
import Registry

extension ImageStore {
    /// Imports the one image at `url` (an OCI layout, a `docker save`
    /// archive, or a root filesystem; a directory or a tar, compressed or not)
    /// and names it `reference`, or the name the archive gives when nil.
    ///
    /// `config` is the run configuration of a root filesystem import; it is
    /// refused for the other kinds, whose images carry their own.
    @discardableResult
    public func importImage(
        from url: URL, as reference: ImageReference?, config: ImageConfig? = nil, format: ImageArchiveFormat? = nil
    ) throws(BerthError) -> Image {
        if let reference, reference.digest != nil || reference.tag == nil {
            throw BerthError(
                .usage, "importing \(url.path) as \(reference.familiar): a name to import as takes a tag, not a digest")
        }
        let images = try importAll(from: url, as: reference, config: config, format: format, single: true)
        guard let image = images.first else {
            throw BerthError(.invalidArchive, "importing \(url.path): it holds no image")
        }
        return image
    }

    /// Imports every image at `url` under the names the archive gives them
    /// (`docker load`); all of them or, on any error, none.
    @discardableResult
    public func importImages(from url: URL, format: ImageArchiveFormat? = nil) throws(BerthError) -> [Image] {
        try importAll(from: url, as: nil, config: nil, format: format, single: false)
    }

    private func importAll(
        from url: URL, as reference: ImageReference?, config: ImageConfig?, format: ImageArchiveFormat?, single: Bool
    ) throws(BerthError) -> [Image] {
        let path = url.path
        return try locked { () throws(BerthError) -> [Image] in
            let scratch = try FileOps.makeTemporaryDirectory(in: temporaryDirectory, prefix: "import-")
            defer { FileOps.removeTree(scratch) }
            var staged = try ImportSource.stage(path, format: format, config: config, scratch: scratch)
            guard !staged.isEmpty else { throw BerthError(.invalidArchive, "importing \(path): it holds no image") }
            if single, staged.count > 1 {
                let names = staged.map { $0.names.first?.familiar ?? "<none>" }.joined(separator: ", ")
                throw BerthError(
                    .usage,
                    "importing \(path): it holds \(staged.count) images (\(names)); load them all under their own names"
                )
            }
            if let reference { staged[0].names = [reference] }
            if let unnamed = staged.first(where: { $0.names.isEmpty }) {
                throw BerthError(
                    .usage,
                    "importing \(unnamed.origin): the image has no name; give one, e.g. `berth image import \(path) NAME:TAG`"
                )
            }

            var index = try TagIndex.load(indexPath)
            var added = Added()
            var descriptors: [Descriptor] = []
            do throws(BerthError) {
                for image in staged {
                    let descriptor = try commit(image, scratch: scratch, added: &added)
                    for name in image.names { index.point(name, at: descriptor) }
                    descriptors.append(descriptor)
                }
                try index.save(indexPath, temporaryDirectory: temporaryDirectory)
            } catch {
                added.undo(blobs: blobs, layers: layers)
                throw error
            }
            // Past the index write the import stands; nothing below may undo it.
            var images: [Image] = []
            for descriptor in descriptors { images.append(try load(descriptor, index: index)) }
            return images
        }
    }

    /// What one import added, so a failure can take it away again.
    private struct Added {
        var blobs: [Digest] = []
        var layers: [Digest] = []

        func undo(blobs store: BlobStore, layers layerStore: LayerStore) {
            for digest in blobs { try? store.remove(digest) }
            for diffID in layers { try? layerStore.remove(diffID) }
        }
    }

    /// Puts one staged image's blobs in the store and unpacks its layers;
    /// returns its manifest's descriptor. Checks every digest the source
    /// states, and each layer's diff ID against the config's.
    private func commit(_ image: StagedImage, scratch: String, added: inout Added) throws(BerthError) -> Descriptor {
        var configDescriptor: Descriptor?
        var expectedDiffIDs: [Digest]?
        if case .blob(let blob) = image.config {
            let bytes = try FileOps.read(blob.path, what: blob.what)
            let file = try decodeJSON(ConfigFile.self, bytes, what: blob.what)
            guard file.rootfs.diffIDs.count == image.layers.count else {
                throw BerthError(
                    .invalidArchive,
                    "\(image.origin) is inconsistent: \(image.layers.count) layers, but its config lists \(file.rootfs.diffIDs.count) diff IDs"
                )
            }
            expectedDiffIDs = file.rootfs.diffIDs
            let (digest, size, new) = try blobs.write(bytes, expected: blob.expected, what: blob.what)
            if new { added.blobs.append(digest) }
            configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: digest, size: size)
        }

        var layerDescriptors: [Descriptor] = []
        var diffIDs: [Digest] = []
        for (n, layer) in image.layers.enumerated() {
            let (digest, size, new) = try blobs.ingest(file: layer.path, expected: layer.expected, what: layer.what)
            if new { added.blobs.append(digest) }
            let stored = blobs.path(digest)
            let compression = Compression.of(stored)
            guard let mediaType = compression.layerMediaType else {
                throw BerthError(.unsupported, "\(layer.what) is \(compression)-compressed, which OCI layers cannot be")
            }
            var tar = stored
            var diffID = digest
            if compression != .none {
                tar = try FileOps.temporaryFile(in: scratch, prefix: "layer-")
                try compression.decompress(stored, to: tar, what: layer.what)
                (diffID, _) = try FileOps.hash(tar, what: layer.what)
            }
            defer { if tar != stored { FileOps.removeTree(tar) } }
            if let expected = expectedDiffIDs?[n], expected != diffID {
                throw BerthError(
                    .digestMismatch,
                    "\(layer.what) unpacks to content with digest \(diffID), but the image config says \(expected)")
            }
            if try layers.unpack(tar, diffID: diffID, what: layer.what) { added.layers.append(diffID) }
            layerDescriptors.append(Descriptor(mediaType: mediaType, digest: digest, size: size))
            diffIDs.append(diffID)
        }

        if case .made(let config) = image.config {
            let now = Self.now()
            let file = ConfigFile(
                architecture: HostPlatform.architecture, os: HostPlatform.os, created: now, config: config,
                rootfs: .init(type: "layers", diffIDs: diffIDs),
                history: [
                    .init(created: now, createdBy: "berth image import", comment: "imported from \(image.origin)")
                ])
            let bytes = try encodeJSON(file, what: "the config of \(image.origin)")
            let (digest, size, new) = try blobs.write(bytes, expected: nil, what: "the config of \(image.origin)")
            if new { added.blobs.append(digest) }
            configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: digest, size: size)
        }
        guard let configDescriptor else {
            throw BerthError(.invalidArchive, "\(image.origin) has no config")
        }

        let manifestBytes: [UInt8]
        let mediaType: String
        if let original = image.manifest {
            manifestBytes = original.bytes
            mediaType = original.mediaType
        } else {
            let manifest = Manifest(
                schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers: layerDescriptors)
            manifestBytes = try encodeJSON(manifest, what: "the manifest of \(image.origin)")
            mediaType = MediaType.ociManifest
        }
        let (digest, size, new) = try blobs.write(
            manifestBytes, expected: image.manifest?.digest, what: "the manifest of \(image.origin)")
        if new { added.blobs.append(digest) }
        return Descriptor(mediaType: mediaType, digest: digest, size: size)
    }

    /// Now, in RFC 3339 as image configs write it.
    private static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}
