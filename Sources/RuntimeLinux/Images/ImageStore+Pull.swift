import BerthModel
import Foundation
import HostOS
import Registry

/// The image store as a pull's destination: blobs are staged in
/// `images/tmp`, layers unpack into `layers/.tmp-*` while they download,
/// and both take their final names only once the blob's digest checked
/// out. A blob the store has is never fetched; its layer is unpacked already.
struct StorePullDestination: PullDestination {
    let store: ImageStore

    func has(_ digest: Digest) -> Bool { store.blobs.contains(digest) }

    func stagingPath(for blob: Registry.Descriptor) throws(BerthError) -> String {
        store.temporaryDirectory + "/pull-\(blob.digest.short)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    func unpacker(for layer: Registry.Descriptor) throws(BerthError) -> (any LayerUnpacker)? {
        try StreamingLayerUnpacker(layers: store.layers, what: "layer \(layer.digest)")
    }

    func commit(_ blob: Registry.Descriptor, verifiedFile path: String, unpacker: (any LayerUnpacker)?)
        throws(BerthError)
    {
        if let layer = unpacker as? StreamingLayerUnpacker { try layer.install() }
        // The layer first: a blob in the store promises its layer is unpacked.
        try FileOps.rename(path, store.blobs.path(blob.digest))
    }
}

extension ImageStore {
    /// The destination pulls into this store go to.
    var pullDestination: StorePullDestination { StorePullDestination(store: self) }

    /// A pull's blobs are all in: stores its manifest, checks every layer
    /// the config names is unpacked, names the image `reference` (unless it
    /// names a digest only) and records `repository@digest`.
    func recordPull(_ pulled: ResolvedImage, as reference: ImageReference) throws(BerthError) -> Image {
        try locked { () throws(BerthError) -> Image in
            let label = "image \"\(reference.familiar)\""
            let manifest = pulled.manifest
            let (digest, size, _) = try blobs.write(
                manifest.bytes, expected: manifest.digest, what: "the manifest of \(label)")
            let config = try decodeJSON(
                ConfigFile.self, try blobs.read(pulled.config.digest, what: "the config of \(label)"),
                what: "the config of \(label)")
            for diffID in config.rootfs.diffIDs where !layers.contains(diffID) {
                throw BerthError(
                    .digestMismatch,
                    "the config of \(label) names layer \(diffID), which none of its pulled layers unpacks to")
            }
            let descriptor = Descriptor(mediaType: manifest.mediaType, digest: digest, size: size)
            var index = try TagIndex.load(indexPath)
            if let tag = reference.tag {
                index.point(try reference.tagged(tag), at: descriptor)
            } else if index.names(of: digest).isEmpty {
                index.untagged[digest] = descriptor
            }
            index.addRepoDigest(reference.pinned(to: pulled.repositoryDigest), to: digest)
            try index.save(indexPath, temporaryDirectory: temporaryDirectory)
            return try load(descriptor, index: index)
        }
    }

    /// What a push of the image `source` names sends: its manifest's exact
    /// bytes, its config and layer blobs, and the repositories of `target`'s
    /// registry it came from (to mount blobs from rather than send them).
    func upload(for source: ImageReference, to target: ImageReference) throws(BerthError) -> (Image, ImageUpload) {
        try locked { () throws(BerthError) -> (Image, ImageUpload) in
            let index = try TagIndex.load(indexPath)
            guard let descriptor = find(source, in: index) else { throw notFound(source) }
            let image = try load(descriptor, index: index)
            let bytes = try blobs.read(descriptor.digest, what: "the manifest of \(image.displayName)")
            let manifest = try decodeJSON(Manifest.self, bytes, what: "the manifest of \(image.displayName)")
            var files: [(descriptor: Registry.Descriptor, path: String)] = []
            for blob in [manifest.config] + manifest.layers {
                guard blobs.contains(blob.digest) else {
                    throw BerthError(
                        .notFound,
                        "pushing \(image.displayName): its blob \(blob.digest) is not in the store (it was never fetched)"
                    )
                }
                files.append(
                    (
                        Registry.Descriptor(mediaType: blob.mediaType, digest: blob.digest, size: blob.size),
                        blobs.path(blob.digest)
                    ))
            }
            var mounts: [Digest: String] = [:]
            if let from = image.repoDigests.first(where: { $0.domain == target.domain && $0.path != target.path }) {
                for (blob, _) in files { mounts[blob.digest] = from.path }
            }
            let upload = ImageUpload(
                manifest: ManifestUpload(bytes: bytes, mediaType: descriptor.mediaType), blobs: files,
                mountSources: mounts)
            return (image, upload)
        }
    }

    /// After a push: the registry has the image `digest` as `pushed`.
    func recordPush(_ pushed: ImageReference, manifest digest: Digest) throws(BerthError) {
        try locked { () throws(BerthError) in
            var index = try TagIndex.load(indexPath)
            index.addRepoDigest(pushed, to: digest)
            try index.save(indexPath, temporaryDirectory: temporaryDirectory)
        }
    }
}

extension TagIndex {
    /// Records `name` (`repository@digest`) for the manifest `manifest`,
    /// replacing an older digest of the same repository, as docker does.
    mutating func addRepoDigest(_ name: ImageReference, to manifest: Digest) {
        guard let digest = name.digest else { return }
        var names = (repoDigests[manifest] ?? []).filter { $0.repository != name.repository }
        names.append(name.pinned(to: digest))
        repoDigests[manifest] = names.sorted()
    }
}

/// `images/repodigests.json`: `{"sha256:<manifest>": ["docker.io/library/x@sha256:…"]}`.
enum RepoDigestsFile {
    static func path(beside indexPath: String) -> String {
        (indexPath as NSString).deletingLastPathComponent + "/repodigests.json"
    }

    static func load(beside indexPath: String) throws(BerthError) -> [Digest: [ImageReference]] {
        let path = path(beside: indexPath)
        guard Files.kind(path) != .missing else { return [:] }
        let bytes = try FileOps.read(path, what: "the image store's repository digests")
        let table = try decodeJSON([String: [String]].self, bytes, what: "the repository digests \(path)")
        var result: [Digest: [ImageReference]] = [:]
        for (manifest, names) in table {
            guard let digest = try? Digest(parsing: manifest) else { continue }
            result[digest] = names.compactMap { try? ImageReference(parsing: $0) }
        }
        return result
    }

    static func save(
        _ table: [Digest: [ImageReference]], beside indexPath: String, temporaryDirectory: String
    ) throws(BerthError) {
        var plain: [String: [String]] = [:]
        for (manifest, names) in table where !names.isEmpty { plain[manifest.description] = names.map(\.description) }
        let path = path(beside: indexPath)
        if plain.isEmpty {
            if Files.kind(path) != .missing { _ = FileOps.removeTree(path) }
            return
        }
        try FileOps.writeAtomically(
            try encodeJSON(plain, what: "the repository digests"), to: path, temporaryDirectory: temporaryDirectory)
    }
}
