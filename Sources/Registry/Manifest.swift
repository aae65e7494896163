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
        if probe.schemaVersion == 1 || declared == MediaType.dockerSchema1 || declared == MediaType.dockerSchema1Signed {
            throw BerthError(
                .unsupported,
                "\(what) is a docker schema 1 image, which registries and docker no longer serve; push it again with a current client")
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
