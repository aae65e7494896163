import BerthModel
import Foundation
import Registry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OCI image-spec and docker v2 wire types this store reads and writes.
/// Only the fields it uses are modelled; blobs keep their original bytes, so
/// nothing unmodelled is lost.
enum MediaType {
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociConfig = "application/vnd.oci.image.config.v1+json"
    static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

    static let indexes: Set<String> = [ociIndex, dockerManifestList]
    static let manifests: Set<String> = [ociManifest, dockerManifest]

    /// Layers whose bytes are not in the archive (Windows base layers); the store cannot unpack them.
    static func isForeign(_ type: String) -> Bool {
        type.contains("foreign") || type.contains("nondistributable")
    }
}

/// The annotation keys that name an image inside an OCI layout's index.
enum Annotation {
    /// containerd's (and `docker save`'s): the full reference.
    static let imageName = "io.containerd.image.name"
    /// The OCI one: a tag alone, or (skopeo, buildah) a whole reference.
    static let refName = "org.opencontainers.image.ref.name"
}

/// A typed pointer to a blob.
struct Descriptor: Codable, Hashable, Sendable {
    var mediaType: String
    var digest: Digest
    var size: Int64
    var annotations: [String: String]?
    var platform: Platform?

    init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
    }
}

/// The platform of one entry of a multi-platform index.
struct Platform: Codable, Hashable, Sendable {
    var architecture: String
    var os: String
    var variant: String?
}

/// An image manifest: a config and layers, lowest first.
struct Manifest: Codable, Sendable {
    var schemaVersion: Int
    var mediaType: String?
    var config: Descriptor
    var layers: [Descriptor]
}

/// An image index (or docker manifest list): manifests, each maybe for one platform.
struct ImageIndex: Codable, Sendable {
    var schemaVersion: Int
    var mediaType: String?
    var manifests: [Descriptor]
}

/// An image configuration blob: the run config plus the layers' diff IDs.
struct ConfigFile: Codable, Sendable {
    struct RootFS: Codable, Sendable {
        var type: String
        var diffIDs: [Digest]
        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }
    struct History: Codable, Sendable {
        var created: String?
        var createdBy: String?
        var comment: String?
        enum CodingKeys: String, CodingKey {
            case created
            case createdBy = "created_by"
            case comment
        }
    }
    var architecture: String?
    var os: String?
    var created: String?
    var config: ImageConfig?
    var rootfs: RootFS
    var history: [History]?
}

/// `docker save`'s `manifest.json`: one entry per image.
struct DockerArchiveEntry: Decodable, Sendable {
    var config: String
    var repoTags: [String]?
    var layers: [String]
    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}

/// The platform of this host in OCI terms, for building configs and choosing
/// from a multi-platform index.
enum HostPlatform {
    static let os = "linux"

    /// `uname -m` mapped to GOARCH names, which OCI uses.
    static let architecture: String = {
        var info = utsname()
        guard uname(&info) == 0 else { return "amd64" }
        let machine = withUnsafePointer(to: &info.machine) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64", "arm64": return "arm64"
        case "i386", "i686": return "386"
        case let arm where arm.hasPrefix("armv"): return "arm"
        case "ppc64le": return "ppc64le"
        case "s390x": return "s390x"
        case "riscv64": return "riscv64"
        default: return machine
        }
    }()
}

/// Stable JSON: sorted keys and unescaped slashes, so equal values give equal digests.
func encodeJSON(_ value: some Encodable, what: String) throws(BerthError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        return Array(try encoder.encode(value))
    } catch {
        throw BerthError(.io, "cannot encode \(what) as JSON", cause: describe(error))
    }
}

/// Decodes JSON read from an archive or the store, naming `what` on failure.
func decodeJSON<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws(BerthError) -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(bytes))
    } catch {
        throw BerthError(.invalidArchive, "\(what) is not valid", cause: describe(error))
    }
}

/// A decoding error in one line: where in the document, and what.
func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func at(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? "" : "at \(path.hasPrefix(".") ? String(path.dropFirst()) : path): "
    }
    switch error {
    case .keyNotFound(let key, let context): return "\(at(context))missing \"\(key.stringValue)\""
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return at(context) + context.debugDescription
    @unknown default: return "\(error)"
    }
}
