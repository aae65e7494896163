import BerthModel
import Glibc
import HostOS
import Registry

/// The kinds of thing `ImageStore.importImages` reads.
public enum ImageArchiveFormat: String, Sendable, CaseIterable {
    /// An OCI image layout: `oci-layout`, `index.json`, `blobs/sha256/…` (a directory or a tar of one).
    case ociLayout = "oci-layout"
    /// What `docker save` writes: `manifest.json`, a config JSON and layer tars.
    case dockerArchive = "docker-archive"
    /// A root filesystem (a directory or a tar of one) that becomes a one-layer image.
    case rootfs
}

/// One image read from a source and checked, not yet in the store.
struct StagedImage: Sendable {
    /// Where its config comes from: a blob in the source, or made here (a rootfs import).
    enum Config: Sendable {
        case blob(StagedBlob)
        case made(ImageConfig)
    }

    /// The names the source gives it, or the one the caller chose.
    var names: [ImageReference]
    /// The source's manifest, kept byte for byte so the image keeps its digest.
    var manifest: (bytes: [UInt8], digest: Digest, mediaType: String)?
    var config: Config
    /// Lowest first.
    var layers: [StagedBlob]
    /// How errors name it, e.g. `image 2 of /tmp/app.tar`.
    var origin: String
}

/// A file in the source that becomes a blob.
struct StagedBlob: Sendable {
    var path: String
    /// The digest the source names it by, when it names one.
    var expected: Digest?
    /// How errors name it, e.g. `layer 1 of image "app:1.2" in /tmp/app.tar`.
    var what: String
}

/// Works out what a path holds and reads its images.
enum ImportSource {
    /// The staged images of `path`; an archive of an OCI layout or a
    /// `docker save` is unpacked into `scratch` first.
    static func stage(
        _ path: String, format: ImageArchiveFormat?, config: ImageConfig?, scratch: String
    ) throws(BerthError) -> [StagedImage] {
        let resolved = try resolve(path)
        let isDirectory = Files.kind(resolved) == .directory
        let detected: ImageArchiveFormat
        if let format {
            detected = format
        } else {
            detected = try detect(resolved, isDirectory: isDirectory, scratch: scratch)
        }
        if config != nil, detected != .rootfs {
            throw BerthError(
                .usage,
                "importing \(path): a config applies only to a root filesystem, and this is a \(detected.rawValue)")
        }
        if detected == .rootfs {
            return [
                try RootfsSource.stage(
                    resolved, isDirectory: isDirectory, config: config ?? ImageConfig(), scratch: scratch)
            ]
        }
        var directory = resolved
        if !isDirectory {
            directory = scratch + "/archive"
            try FileOps.makeDirectories(directory, mode: 0o700)
            try Tar.extractFiles(resolved, into: directory, what: "the \(detected.rawValue) archive \(path)")
        }
        switch detected {
        case .ociLayout: return try OCILayoutSource.stage(directory, origin: path)
        case .dockerArchive: return try DockerArchiveSource.stage(directory, origin: path)
        case .rootfs: return []
        }
    }

    /// The real path of what the caller named (a symlink to an archive is fine:
    /// the caller chose it), or a not-found error.
    private static func resolve(_ path: String) throws(BerthError) -> String {
        guard let real = realpath(path, nil) else {
            throw BerthError(.notFound, "importing \(path): \(FileOps.errnoText().lowercased())")
        }
        defer { free(real) }
        let resolved = String(cString: real)
        switch Files.kind(resolved) {
        case .directory, .regular: return resolved
        default: throw BerthError(.invalidArchive, "importing \(path): not a directory or a regular file")
        }
    }

    /// OCI layout if it has `oci-layout` (newer `docker save` writes both, and
    /// the OCI side is the richer), `docker save` if it has `manifest.json`,
    /// otherwise a root filesystem.
    private static func detect(_ path: String, isDirectory: Bool, scratch: String) throws(BerthError)
        -> ImageArchiveFormat
    {
        let names: Set<String>
        if isDirectory {
            names = Set(try FileOps.list(path))
        } else {
            let members = try Tar.members(of: path, scratch: scratch, what: path)
            guard !members.isEmpty else {
                throw BerthError(.invalidArchive, "importing \(path): the archive is empty")
            }
            names = Set(members.map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 })
        }
        if names.contains("oci-layout") { return .ociLayout }
        if names.contains("manifest.json") { return .dockerArchive }
        return .rootfs
    }
}

/// A root filesystem as one layer, with a config the caller gives.
enum RootfsSource {
    static func stage(_ path: String, isDirectory: Bool, config: ImageConfig, scratch: String) throws(BerthError)
        -> StagedImage
    {
        var tar = path
        if isDirectory {
            tar = scratch + "/rootfs.tar"
            try Tar.create(from: path, to: tar, what: "the root filesystem \(path)")
        } else {
            let compression = Compression.of(path)
            if compression.layerMediaType == nil {
                // OCI has no media type for bzip2 or xz layers: store it uncompressed.
                tar = scratch + "/rootfs.tar"
                try compression.decompress(path, to: tar, what: "the root filesystem archive \(path)")
            }
        }
        return StagedImage(
            names: [], manifest: nil, config: .made(config),
            layers: [StagedBlob(path: tar, expected: nil, what: "the root filesystem \(path)")], origin: path)
    }
}

/// `docker save` output: `manifest.json` lists each image's config and layer tars.
enum DockerArchiveSource {
    static func stage(_ directory: String, origin: String) throws(BerthError) -> [StagedImage] {
        let source = "the docker archive \(origin)"
        let manifestPath = try FileOps.regularFile("manifest.json", in: directory, what: source)
        let entries = try decodeJSON(
            [DockerArchiveEntry].self, try FileOps.read(manifestPath, what: "manifest.json"),
            what: "manifest.json of \(source)")
        return try entries.enumerated().map { (i, entry) throws(BerthError) -> StagedImage in
            var names: [ImageReference] = []
            for tag in entry.repoTags ?? [] {
                do throws(BerthError) {
                    names.append(try ImageReference(parsing: tag))
                } catch {
                    throw BerthError(
                        .invalidArchive, "image \(i + 1) of \(source) has an invalid RepoTags entry",
                        cause: error.description)
                }
            }
            let label = names.first.map { "image \"\($0.familiar)\"" } ?? "image \(i + 1)"
            let config = StagedBlob(
                path: try FileOps.regularFile(entry.config, in: directory, what: "the Config of \(label) in \(source)"),
                expected: digestNamed(by: entry.config), what: "the config \(entry.config) of \(label) in \(source)")
            var layers: [StagedBlob] = []
            for (n, layer) in entry.layers.enumerated() {
                let what = "layer \(n + 1) (\(layer)) of \(label) in \(source)"
                layers.append(
                    StagedBlob(
                        path: try FileOps.regularFile(layer, in: directory, what: what),
                        expected: digestNamed(by: layer),
                        what: what))
            }
            return StagedImage(
                names: names, manifest: nil, config: .blob(config), layers: layers, origin: "\(label) in \(source)")
        }
    }

    /// The digest a file's name states: `<hex>.json` (the config in docker's
    /// older format) or `blobs/sha256/<hex>` (docker 25 and later). Layer
    /// directories of the older format (`<id>/layer.tar`) state none.
    static func digestNamed(by path: String) -> Digest? {
        let last = path.split(separator: "/").last.map(String.init) ?? path
        let hex = last.hasSuffix(".json") ? String(last.dropLast(5)) : last
        return Digest(hex: hex)
    }
}
