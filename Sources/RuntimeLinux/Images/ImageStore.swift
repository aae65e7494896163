import BerthModel
import Foundation
import HostOS
import Registry
import Synchronization

/// Images on disk under a root directory:
///
/// ```
/// <root>/images/oci-layout, index.json     an OCI image layout: the names
/// <root>/images/blobs/sha256/<hex>         manifests, configs, layer blobs
/// <root>/images/tmp/                       writes and imports in progress
/// <root>/layers/<diff-id hex>/             each layer unpacked once, shared
/// ```
///
/// One process owns a root (berthd does); within it the store is safe to
/// share, and its operations run one at a time. Imports are all-or-nothing:
/// a failed one removes the blobs and layers it added and leaves the names
/// as they were.
public final class ImageStore: Sendable {
    /// The root given at creation.
    public let root: URL
    let imagesDirectory: String
    let temporaryDirectory: String
    let indexPath: String
    let blobs: BlobStore
    let layers: LayerStore
    private let lock = Mutex(())

    /// Opens (creating if need be) the store under `root`, and sweeps what a
    /// crash may have left in its temporary places.
    public init(root: URL) throws(BerthError) {
        self.root = root
        let base = root.path
        imagesDirectory = base + "/images"
        temporaryDirectory = imagesDirectory + "/tmp"
        indexPath = imagesDirectory + "/index.json"
        blobs = BlobStore(directory: imagesDirectory + "/blobs/sha256", temporary: temporaryDirectory)
        layers = LayerStore(directory: base + "/layers")
        for directory in [blobs.directory, temporaryDirectory, layers.directory] {
            try FileOps.makeDirectories(directory, mode: 0o700)
        }
        let layoutPath = imagesDirectory + "/oci-layout"
        if Files.kind(layoutPath) == .missing {
            try FileOps.writeAtomically(
                Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layoutPath, temporaryDirectory: temporaryDirectory)
        }
        for name in (try? FileOps.list(temporaryDirectory)) ?? [] {
            FileOps.removeTree(temporaryDirectory + "/" + name)
        }
        layers.sweep()
    }

    /// Runs `body` with the store to itself.
    func locked<T>(_ body: () throws(BerthError) -> T) throws(BerthError) -> T {
        try lock.withLock { _ throws(BerthError) in try body() }
    }

    /// The image `reference` names, with its config decoded; an error that says
    /// how to get it when there is none.
    public func image(_ reference: ImageReference) throws(BerthError) -> Image {
        try locked { () throws(BerthError) -> Image in
            let index = try TagIndex.load(indexPath)
            guard let descriptor = find(reference, in: index) else { throw notFound(reference) }
            return try load(descriptor, index: index)
        }
    }

    /// The image whose manifest has this digest, named or not.
    public func image(digest: Digest) throws(BerthError) -> Image {
        try locked { () throws(BerthError) -> Image in
            let index = try TagIndex.load(indexPath)
            guard let descriptor = index.manifests[digest] else {
                throw BerthError(.notFound, "image \(digest) not found")
            }
            return try load(descriptor, index: index)
        }
    }

    /// Every image, sorted by first name; those without a name last.
    public func list() throws(BerthError) -> [Image] {
        try locked { () throws(BerthError) -> [Image] in
            let index = try TagIndex.load(indexPath)
            var images: [Image] = []
            for descriptor in index.manifests.values { images.append(try load(descriptor, index: index)) }
            return images.sorted { a, b in
                switch (a.references.first, b.references.first) {
                case (let x?, let y?): return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a.digest < b.digest
                }
            }
        }
    }

    /// Gives the image `source` names the further name `target` (moving
    /// `target` off any image it named before, as `docker tag` does).
    @discardableResult
    public func tag(_ source: ImageReference, as target: ImageReference) throws(BerthError) -> Image {
        guard target.digest == nil, target.tag != nil else {
            throw BerthError(
                .usage, "tagging \(source.familiar) as \(target.familiar): a new name takes a tag, not a digest")
        }
        return try locked { () throws(BerthError) -> Image in
            var index = try TagIndex.load(indexPath)
            guard let descriptor = find(source, in: index) else { throw notFound(source) }
            index.point(target, at: descriptor)
            try index.save(indexPath, temporaryDirectory: temporaryDirectory)
            return try load(descriptor, index: index)
        }
    }

    /// The unpacked directories of the image's layers, lowest first (overlayfs
    /// wants `lowerdir=` highest first: reverse before joining with `:`).
    public func layerDirectories(for image: Image) -> [String] {
        image.layers.map { layers.path($0.diffID) }
    }

    /// The manifest `reference` names: by tag, and by digest when it pins one.
    func find(_ reference: ImageReference, in index: TagIndex) -> Descriptor? {
        if let digest = reference.digest {
            // A pulled `name@digest` (the index's digest, maybe) is found by what the registry called it.
            let manifests = index.manifests
            for (manifest, names) in index.repoDigests
            where names.contains(where: { $0.repository == reference.repository && $0.digest == digest }) {
                if let descriptor = manifests[manifest] { return descriptor }
            }
        }
        if let tag = reference.tag {
            // Names are stored without digests; a `name:tag@digest` must match both.
            let key = reference.digest == nil ? reference : ((try? reference.tagged(tag)) ?? reference)
            guard let descriptor = index.tags[key] else { return nil }
            if let digest = reference.digest, digest != descriptor.digest { return nil }
            return descriptor
        }
        guard let digest = reference.digest else { return nil }
        return index.tags.first { $0.key.repository == reference.repository && $0.value.digest == digest }?.value
    }

    /// The error for a name with no image, with the command that makes one.
    func notFound(_ reference: ImageReference) -> BerthError {
        BerthError(
            .notFound,
            "image \"\(reference.familiar)\" not found; import one with `berth image import FILE \(reference.familiar)`"
        )
    }

    /// Reads an image's manifest and config (both verified) into an `Image`.
    func load(_ descriptor: Descriptor, index: TagIndex) throws(BerthError) -> Image {
        let names = index.names(of: descriptor.digest)
        let label = names.first.map { "image \"\($0.familiar)\"" } ?? "image \(descriptor.digest)"
        let manifest = try decodeJSON(
            Manifest.self, try blobs.read(descriptor.digest, what: "the manifest of \(label)"),
            what: "the manifest of \(label)")
        let configFile = try decodeJSON(
            ConfigFile.self, try blobs.read(manifest.config.digest, what: "the config of \(label)"),
            what: "the config of \(label)")
        let diffIDs = configFile.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw BerthError(
                .invalidArchive,
                "\(label) is inconsistent: its manifest has \(manifest.layers.count) layers, its config \(diffIDs.count) diff IDs"
            )
        }
        let imageLayers = zip(manifest.layers, diffIDs).map { layer, diffID in
            ImageLayer(digest: layer.digest, diffID: diffID, size: layer.size, mediaType: layer.mediaType)
        }
        return Image(
            digest: descriptor.digest, references: names, repoDigests: index.repoDigests[descriptor.digest] ?? [],
            configDigest: manifest.config.digest,
            config: configFile.config ?? ImageConfig(),
            architecture: configFile.architecture ?? HostPlatform.architecture,
            os: configFile.os ?? HostPlatform.os, created: configFile.created, layers: imageLayers)
    }
}

/// The store's names: which manifest each tag points at, plus the images
/// that lost their last name (kept, as docker keeps `<none>` images, because
/// a container may still run on one).
///
/// On disk it is `<root>/images/index.json`, an OCI image index whose entries
/// carry `io.containerd.image.name` (the full reference) and
/// `org.opencontainers.image.ref.name` (the tag), so `<root>/images` is
/// itself a valid OCI image layout that skopeo or `ctr import` can read. It is
/// written whole to a temporary file and renamed, so it is never half-written.
struct TagIndex: Sendable {
    /// Tag → manifest descriptor.
    var tags: [ImageReference: Descriptor] = [:]
    /// Manifests no tag points at, by digest.
    var untagged: [Digest: Descriptor] = [:]
    /// Manifest → `repository@digest` of each registry it came from or went to
    /// (docker's `RepoDigests`); kept beside the index in `repodigests.json`.
    var repoDigests: [Digest: [ImageReference]] = [:]

    /// Every manifest the index keeps, tagged or not.
    var manifests: [Digest: Descriptor] {
        var all = untagged
        for descriptor in tags.values { all[descriptor.digest] = descriptor }
        return all
    }

    /// The tags that point at `digest`, sorted.
    func names(of digest: Digest) -> [ImageReference] {
        tags.filter { $0.value.digest == digest }.map(\.key).sorted()
    }

    /// Points `name` at `descriptor`; the image it pointed at before, if that
    /// was its last name, stays as untagged.
    mutating func point(_ name: ImageReference, at descriptor: Descriptor) {
        let previous = tags[name]
        tags[name] = descriptor
        untagged[descriptor.digest] = nil
        if let previous, previous.digest != descriptor.digest, names(of: previous.digest).isEmpty {
            untagged[previous.digest] = previous
        }
    }

    /// Reads the index at `path`; a missing file is an empty store.
    static func load(_ path: String) throws(BerthError) -> TagIndex {
        guard Files.kind(path) != .missing else { return TagIndex() }
        var result = TagIndex()
        result.repoDigests = try RepoDigestsFile.load(beside: path)
        let bytes = try FileOps.read(path, what: "the image index")
        let index: ImageIndex
        do {
            index = try JSONDecoder().decode(ImageIndex.self, from: Data(bytes))
        } catch {
            throw BerthError(
                .invalidArchive, "the image index \(path) is not a valid OCI index", cause: describe(error))
        }
        for entry in index.manifests {
            var plain = entry
            plain.annotations = nil
            guard let name = entry.annotations?[Annotation.imageName] else {
                result.untagged[entry.digest] = plain
                continue
            }
            result.tags[try ImageReference(parsing: name)] = plain
        }
        return result
    }

    /// Writes the index atomically.
    func save(_ path: String, temporaryDirectory: String) throws(BerthError) {
        var entries: [Descriptor] = tags.sorted { $0.key < $1.key }.map { name, descriptor in
            var entry = descriptor
            entry.annotations = [Annotation.imageName: name.description, Annotation.refName: name.tag ?? ""]
            return entry
        }
        entries += untagged.values.sorted { $0.digest < $1.digest }
        let index = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries)
        let kept = manifests
        try RepoDigestsFile.save(
            repoDigests.filter { kept[$0.key] != nil }, beside: path, temporaryDirectory: temporaryDirectory)
        try FileOps.writeAtomically(
            try encodeJSON(index, what: "the image index"), to: path, temporaryDirectory: temporaryDirectory)
    }
}
