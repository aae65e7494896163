import BerthModel
import Glibc
import Registry
import Synchronization
import TestSupport
import Testing

/// Push to a real registry, then pull back: the same digests.
@Suite struct PushEndToEndTests {
    /// The events of a push.
    final class Pushes: Sendable {
        private let events = Mutex<[PushEvent]>([])
        var all: [PushEvent] { events.withLock { $0 } }
        @Sendable func record(_ event: PushEvent) { events.withLock { $0.append(event) } }
    }

    @Test func pushThenPullRoundTripsAndSendsOnlyWhatIsMissing() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let registry = try await LocalRegistry(in: scratch, name: "registry")
            defer { registry.stop() }
            let layout = try OCILayout(at: scratch.path("layout"))
            let shared = try await TestLayer.make([("shared", TestLayer.noise(50_000, seed: 21))], .gzip)
            let amd64 = try layout.image(
                [shared, try await TestLayer.make([("amd64", [1])], .zstd)],
                platform: Platform(os: "linux", architecture: "amd64"))
            let arm64 = try layout.image(
                [shared, try await TestLayer.make([("arm64", [2])], .gzip)],
                platform: Platform(os: "linux", architecture: "arm64"))
            let index = try layout.index([amd64.manifest, arm64.manifest])
            let upload = ImageUpload(
                manifest: ManifestUpload(bytes: index.bytes, mediaType: MediaType.ociIndex),
                children: [
                    ManifestUpload(bytes: amd64.bytes, mediaType: MediaType.ociManifest),
                    ManifestUpload(bytes: arm64.bytes, mediaType: MediaType.ociManifest),
                ],
                blobs: try layout.blobs.compactMap { digest, path in
                    guard digest != index.index.digest, digest != amd64.manifest.digest, digest != arm64.manifest.digest
                    else { return nil }
                    return (
                        Descriptor(mediaType: "application/octet-stream", digest: digest, size: try fileSize(path)),
                        path
                    )
                })
            let reference = try ImageReference(parsing: "\(registry.host)/team/app:1.0")
            let first = Pushes()
            try await withClient { client in
                let digest = try await client.push(upload, to: reference, progress: first.record)
                #expect(digest == index.index.digest)
                let pulled = try await ImagePuller(client: client).pull(
                    reference, platform: Platform(os: "linux", architecture: "arm64"),
                    into: try TestDestination(in: scratch.path("pull")))
                #expect(pulled.image.repositoryDigest == index.index.digest)
                #expect(pulled.image.manifest.digest == arm64.manifest.digest)
            }
            let uploaded = first.all.filter { if case .uploaded = $0 { true } else { false } }
            #expect(uploaded.count == upload.blobs.count, "each blob once, the shared layer too")
            #expect(registry.requests(containing: "PUT /v2/team/app/blobs/uploads/") == upload.blobs.count)

            let second = Pushes()
            _ = try await withClient { try await $0.push(upload, to: reference, progress: second.record) }
            #expect(second.all.filter { if case .exists = $0 { true } else { false } }.count == upload.blobs.count)
            #expect(
                registry.requests(containing: "PUT /v2/team/app/blobs/uploads/") == upload.blobs.count,
                "nothing sent again")

            var elsewhere = upload
            elsewhere.mountSources = Dictionary(
                uniqueKeysWithValues: upload.blobs.map { ($0.descriptor.digest, "team/app") })
            let third = Pushes()
            _ = try await withClient {
                try await $0.push(
                    elsewhere, to: try ImageReference(parsing: "\(registry.host)/other:1.0"), progress: third.record)
            }
            #expect(
                third.all.filter { if case .mounted(_, from: "team/app") = $0 { true } else { false } }.count
                    == upload.blobs.count)
            #expect(registry.requests(containing: "PUT /v2/other/blobs/uploads/") == 0, "mounted, not sent")
        }
    }
}

/// The size of the file at `path`.
func fileSize(_ path: String) throws -> Int64 {
    var info = stat()
    guard stat(path, &info) == 0 else { throw TestFailure("stat \(path)") }
    return Int64(info.st_size)
}
