import BerthModel
import Foundation
import HostOS
import Registry
import TestSupport

/// A layer the tests made: its tar, the bytes as pushed, and their descriptors.
struct TestLayer {
    let tar: [UInt8]
    let blob: [UInt8]
    let descriptor: Descriptor
    /// The sha256 of the uncompressed tar (the config's diff_id).
    var diffID: Digest { Digest(of: tar) }

    /// A layer holding `files` (name → content), compressed as `compression`.
    static func make(_ files: [(String, [UInt8])], _ compression: Compression) async throws -> TestLayer {
        let tar = Tar.archive(files)
        let blob: [UInt8]
        let mediaType: String
        switch compression {
        case .none:
            (blob, mediaType) = (tar, MediaType.ociLayer)
        case .gzip:
            (blob, mediaType) = (
                try await run(["gzip", "-n", "-c"], input: tar).standardOutput, MediaType.ociLayerGzip
            )
        case .zstd:
            (blob, mediaType) = (
                try await run(["zstd", "-q", "-c"], input: tar).standardOutput, MediaType.ociLayerZstd
            )
        }
        return TestLayer(
            tar: tar, blob: blob,
            descriptor: Descriptor(mediaType: mediaType, digest: Digest(of: blob), size: Int64(blob.count)))
    }

    /// `count` bytes that do not compress (a seeded generator), so a layer's
    /// compressed size stays near its content's.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }
}

/// An OCI image layout on disk that skopeo copies from, and the bytes of
/// what is in it.
final class OCILayout {
    let path: String
    private var entries: [String] = []
    private(set) var blobs: [Digest: String] = [:]

    init(at path: String) throws {
        self.path = path
        try Files.makeDirectories(path + "/blobs/sha256")
        try Files.write(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: path + "/oci-layout")
    }

    /// Stores `bytes` as a blob; returns its descriptor.
    @discardableResult
    func add(_ bytes: [UInt8], mediaType: String, platform: Platform? = nil) throws -> Descriptor {
        let digest = Digest(of: bytes)
        let file = "\(path)/blobs/sha256/\(digest.hex)"
        if Files.kind(file) == .missing { try Files.write(bytes, to: file) }
        blobs[digest] = file
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), platform: platform)
    }

    /// An image of `layers` for `platform`: its config and manifest stored; returns the manifest's descriptor.
    func image(_ layers: [TestLayer], platform: Platform = Platform(os: "linux", architecture: "amd64"))
        throws -> (manifest: Descriptor, bytes: [UInt8])
    {
        for layer in layers { try add(layer.blob, mediaType: layer.descriptor.mediaType) }
        let diffIDs = layers.map { "\"\($0.diffID)\"" }.joined(separator: ",")
        let config = try add(
            Array(
                #"{"architecture":"\#(platform.architecture)","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[\#(diffIDs)]}}"#
                    .utf8), mediaType: MediaType.ociConfig)
        let manifest = ImageManifest(
            mediaType: MediaType.ociManifest, config: config, layers: layers.map(\.descriptor))
        let bytes = try Self.json(manifest)
        return (try add(bytes, mediaType: MediaType.ociManifest, platform: platform), bytes)
    }

    /// An index of `manifests`; returns its descriptor.
    func index(_ manifests: [Descriptor]) throws -> (index: Descriptor, bytes: [UInt8]) {
        let bytes = try Self.json(ImageIndex(mediaType: MediaType.ociIndex, manifests: manifests))
        return (try add(bytes, mediaType: MediaType.ociIndex), bytes)
    }

    /// Names `descriptor` `tag` in index.json (what `oci:DIR:TAG` finds).
    func tag(_ descriptor: Descriptor, _ tag: String) throws {
        let platformless = Descriptor(
            mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
            annotations: ["org.opencontainers.image.ref.name": tag])
        entries.append(String(decoding: try Self.json(platformless), as: UTF8.self))
        try Files.write(
            Array(#"{"schemaVersion":2,"manifests":[\#(entries.joined(separator: ","))]}"#.utf8),
            to: path + "/index.json")
    }

    /// `skopeo copy oci:DIR:TAG docker://DESTINATION` (every platform of an index).
    func push(_ tag: String, to destination: String, credentials: String? = nil) async throws {
        var arguments = [
            "skopeo", "--insecure-policy", "copy", "--quiet", "--all", "--dest-tls-verify=false",
            "--preserve-digests", "oci:\(path):\(tag)", "docker://\(destination)",
        ]
        if let credentials { arguments.insert(contentsOf: ["--dest-creds", credentials], at: 3) }
        try await run(arguments)
    }

    static func json(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}

/// A minimal ustar writer: regular files, mode 0644, owned by root, time 0.
enum Tar {
    static func archive(_ files: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, content) in files {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) {
                for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
            }
            put(name, at: 0)
            put("0000644", at: 100)
            put("0000000", at: 108)
            put("0000000", at: 116)
            put(String(format: "%011o", content.count), at: 124)
            put("00000000000", at: 136)
            put("        ", at: 148)
            put("0", at: 156)
            put("ustar", at: 257)
            put("00", at: 263)
            let sum = header.reduce(0) { $0 + Int($1) }
            put(String(format: "%06o", sum), at: 148)
            header[154] = 0
            out += header + content
            out += [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }
}
