import BerthModel
import Foundation

/// A typed pointer to content: what it is, its digest and its size, and
/// for an index entry the platform it is for.
public struct Descriptor: Hashable, Sendable, Codable {
    /// The media type of the content pointed at.
    public var mediaType: String
    /// The sha256 of the content.
    public var digest: Digest
    /// Its length in bytes.
    public var size: Int64
    /// For an entry of an index: the platform of the manifest it points at.
    public var platform: Platform?
    /// For a non-distributable layer: where its bytes may be fetched instead.
    public var urls: [String]?
    /// Free-form metadata (`org.opencontainers.image.ref.name`, …).
    public var annotations: [String: String]?

    /// A descriptor.
    public init(
        mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil, urls: [String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.urls = urls
        self.annotations = annotations
    }
}

/// An image manifest (OCI, or docker schema 2): a config and its layers, lowest first.
public struct ImageManifest: Hashable, Sendable, Codable {
    /// Always 2.
    public var schemaVersion: Int
    /// Required by docker's schema 2, optional in OCI's.
    public var mediaType: String?
    /// The image configuration blob.
    public var config: Descriptor
    /// The filesystem layers, base first.
    public var layers: [Descriptor]
    /// Free-form metadata.
    public var annotations: [String: String]?

    /// A manifest.
    public init(
        schemaVersion: Int = 2, mediaType: String?, config: Descriptor, layers: [Descriptor],
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// An image index (OCI) or manifest list (docker): one manifest per platform.
public struct ImageIndex: Hashable, Sendable, Codable {
    /// Always 2.
    public var schemaVersion: Int
    /// Required by docker's manifest list, optional in OCI's index.
    public var mediaType: String?
    /// The manifests, each usually with its platform.
    public var manifests: [Descriptor]
    /// Free-form metadata.
    public var annotations: [String: String]?

    /// An index.
    public init(
        schemaVersion: Int = 2, mediaType: String?, manifests: [Descriptor], annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    /// The entry to pull for `matcher`'s platform: the best-ranked match,
    /// the first in the index among equals. No match is an error that lists
    /// the platforms the index has.
    public func select(_ matcher: PlatformMatcher, image: String) throws(BerthError) -> Descriptor {
        var best: (rank: Int, entry: Descriptor)?
        for entry in manifests {
            guard let platform = entry.platform, let rank = matcher.rank(platform) else { continue }
            if best == nil || rank < best?.rank ?? .max { best = (rank, entry) }
        }
        if let best { return best.entry }
        let offered = manifests.compactMap(\.platform).filter { $0.os != "unknown" }.map(\.description)
        throw BerthError(
            .platformNotFound,
            "\(image) has no manifest for \(matcher.platform)",
            cause: offered.isEmpty ? "its index names no platforms" : "it has " + offered.joined(separator: ", "))
    }
}

/// A manifest as a registry serves it: its exact bytes (which the digest is
/// computed over, and which are stored as they are), its digest, and what
/// they decode to.
public struct ManifestDocument: Sendable {
    /// What the bytes decode to.
    public enum Content: Sendable, Hashable {
        /// One image.
        case image(ImageManifest)
        /// Several, one per platform.
        case index(ImageIndex)
    }

    /// The manifest's bytes, exactly as served.
    public let bytes: [UInt8]
    /// The sha256 of `bytes`.
    public let digest: Digest
    /// The media type: the document's own `mediaType`, else the response's Content-Type.
    public let mediaType: String
    /// The decoded manifest.
    public let content: Content

    /// Decodes `bytes`, whose media type is its `mediaType` field or, when it
    /// has none (OCI allows that), `contentType`. `what` names it in errors.
    public init(bytes: [UInt8], contentType: String?, what: String) throws(BerthError) {
        struct Probe: Decodable {
            var schemaVersion: Int?
            var mediaType: String?
            var manifests: [Descriptor]?
            var config: Descriptor?
        }
        let data = Data(bytes)
        let probe: Probe
        do {
            probe = try JSONDecoder().decode(Probe.self, from: data)
        } catch {
            throw BerthError(.registryProtocol, "the manifest of \(what) is not a manifest", cause: "\(error)")
        }
        // The Content-Type counts only when it names a manifest type (some
        // registries answer `application/json` for an OCI manifest without one).
        let served = contentType.map(Self.bareType).flatMap { type in
            MediaType.indexTypes.contains(type) || MediaType.imageManifestTypes.contains(type)
                || type == MediaType.dockerSchema1 || type == MediaType.dockerSchema1Signed ? type : nil
        }
        let declared = probe.mediaType ?? served ?? ""
        if probe.schemaVersion == 1 || declared == MediaType.dockerSchema1 || declared == MediaType.dockerSchema1Signed
        {
            throw BerthError(
                .unsupported,
                "\(what) is a docker schema 1 image, which registries and docker no longer serve; push it again with a current client"
            )
        }
        let isIndex = MediaType.indexTypes.contains(declared) || (probe.manifests != nil && probe.config == nil)
        let mediaType = declared.isEmpty ? (isIndex ? MediaType.ociIndex : MediaType.ociManifest) : declared
        do {
            if isIndex {
                content = .index(try JSONDecoder().decode(ImageIndex.self, from: data))
            } else if MediaType.imageManifestTypes.contains(mediaType) || probe.config != nil {
                content = .image(try JSONDecoder().decode(ImageManifest.self, from: data))
            } else {
                throw BerthError(.unsupported, "the manifest of \(what) is of type \"\(mediaType)\", not an image")
            }
        } catch let error as BerthError {
            throw error
        } catch {
            throw BerthError(.registryProtocol, "the manifest of \(what) does not decode", cause: "\(error)")
        }
        self.bytes = bytes
        self.digest = Digest(of: bytes)
        self.mediaType = mediaType
    }

    /// `application/json; charset=utf-8` → `application/json`.
    static func bareType(_ contentType: String) -> String {
        String(contentType.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces)
    }
}

/// The media types of the OCI image-spec and of docker's schema 2, the four
/// kinds of manifest a registry serves and the layer encodings.
public enum MediaType {
    /// An OCI image index (several manifests, one per platform).
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    /// An OCI image manifest (a config and layers).
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// An OCI image configuration.
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    /// An uncompressed OCI layer.
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    /// A gzip-compressed OCI layer.
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// A zstd-compressed OCI layer.
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// docker's manifest list: its image index.
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// docker's schema 2 image manifest.
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// docker's image configuration.
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    /// docker's gzip-compressed layer.
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// docker's schema 1 manifests, which registries stopped serving; refused with a clear error.
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    /// docker's signed schema 1 manifest.
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// The manifest types a pull accepts, for the `Accept` header (every
    /// one of them, or a registry converts down to a type it thinks we want).
    public static let manifestTypes = [ociIndex, dockerManifestList, ociManifest, dockerManifest]
    /// The kinds that list other manifests.
    public static let indexTypes: Set<String> = [ociIndex, dockerManifestList]
    /// The kinds that describe one image.
    public static let imageManifestTypes: Set<String> = [ociManifest, dockerManifest]

    /// Whether a layer of this type is non-distributable ("foreign"): its
    /// bytes come from the URLs in its descriptor, not from the registry
    /// (Windows base layers). The image-spec marks them deprecated and lets
    /// a client skip pushing them; a Linux pull has no use for them.
    public static func isNonDistributable(_ type: String) -> Bool {
        type.contains("foreign") || type.contains("nondistributable")
    }

    /// How a layer of this media type is compressed, or nil when the type is
    /// not a layer this client can unpack.
    public static func compression(ofLayer type: String) -> Compression? {
        switch type {
        case ociLayer, "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.docker.image.rootfs.foreign.diff.tar":
            Compression.none
        case ociLayerGzip, dockerLayerGzip, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
            .gzip
        case ociLayerZstd, "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
            .zstd
        default:
            nil
        }
    }
}

/// How a layer's bytes are encoded on the wire.
public enum Compression: String, Sendable, Hashable, CustomStringConvertible {
    /// A plain tar.
    case none
    /// gzip (RFC 1952), possibly several members one after another.
    case gzip
    /// zstd frames.
    case zstd

    /// `none`, `gzip`, `zstd`.
    public var description: String { rawValue }
}
