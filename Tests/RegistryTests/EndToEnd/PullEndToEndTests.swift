import BerthModel
import Registry
import TestSupport
import Testing

/// Pulls from a real registry on 127.0.0.1 over plain HTTP, of images
/// skopeo put there from OCI layouts the tests build.
@Suite struct PullEndToEndTests {
    @Test func gzipZstdAndPlainLayersArriveVerifiedAndUnpacked() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let registry = try await LocalRegistry(in: scratch, name: "registry")
            defer { registry.stop() }
            let layers = [
                try await TestLayer.make([("etc/base", TestLayer.noise(40_000, seed: 1))], .gzip),
                try await TestLayer.make([("usr/zstd", TestLayer.noise(30_000, seed: 2))], .zstd),
                try await TestLayer.make([("plain", Array("plain tar".utf8))], .none),
            ]
            let layout = try OCILayout(at: scratch.path("layout"))
            let image = try layout.image(layers)
            try layout.tag(image.manifest, "v1")
            try await layout.push("v1", to: "\(registry.host)/team/app:v1")

            let destination = try TestDestination(in: scratch.path("pull"))
            let pulled = try await withClient { client in
                try await ImagePuller(client: client).pull(
                    try ImageReference(parsing: "\(registry.host)/team/app:v1"), into: destination)
            }
            #expect(pulled.image.manifest.digest == image.manifest.digest)
            #expect(pulled.image.repositoryDigest == image.manifest.digest)
            #expect(Set(pulled.fetched) == Set([pulled.image.config.digest] + layers.map(\.descriptor.digest)))
            let state = destination.snapshot
            for layer in layers {
                #expect(state.unpacked[layer.descriptor.digest] == layer.diffID, "the tar stream came out whole")
            }
            #expect(destination.staged.isEmpty)
        }
    }

    @Test func anIndexGivesAmd64HereArm64WhenAskedAndNamesWhatItHas() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let registry = try await LocalRegistry(in: scratch, name: "registry")
            defer { registry.stop() }
            let layout = try OCILayout(at: scratch.path("layout"))
            let amd64 = try layout.image(
                [try await TestLayer.make([("arch", Array("amd64".utf8))], .gzip)],
                platform: Platform(os: "linux", architecture: "amd64"))
            let arm64 = try layout.image(
                [try await TestLayer.make([("arch", Array("arm64".utf8))], .gzip)],
                platform: Platform(os: "linux", architecture: "arm64", variant: "v8"))
            let index = try layout.index([amd64.manifest, arm64.manifest])
            try layout.tag(index.index, "multi")
            try await layout.push("multi", to: "\(registry.host)/multi:1")

            try await withClient { client in
                let reference = try ImageReference(parsing: "\(registry.host)/multi:1")
                let here = try await client.resolve(reference, platform: Platform(os: "linux", architecture: "amd64"))
                #expect(here.manifest.digest == amd64.manifest.digest)
                #expect(here.repositoryDigest == index.index.digest, "RepoDigests name the index")
                let arm = try await client.resolve(reference, platform: try Platform(parsing: "linux/arm64/v8"))
                #expect(arm.manifest.digest == arm64.manifest.digest)
                _ = try await expectFailure(
                    .platformNotFound, mentioning: ["linux/s390x", "linux/amd64, linux/arm64/v8"]
                ) {
                    _ = try await client.resolve(reference, platform: try Platform(parsing: "linux/s390x"))
                }
            }
        }
    }

    @Test func aSharedLayerIsFetchedOnceAndAPresentImageFetchesNothing() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let registry = try await LocalRegistry(in: scratch, name: "registry")
            defer { registry.stop() }
            let base = try await TestLayer.make([("base", TestLayer.noise(300_000, seed: 3))], .gzip)
            let layout = try OCILayout(at: scratch.path("layout"))
            for (name, seed) in [("one", UInt64(4)), ("two", 5)] {
                let own = try await TestLayer.make([(name, TestLayer.noise(1000, seed: seed))], .gzip)
                try layout.tag(try layout.image([base, own]).manifest, name)
                try await layout.push(name, to: "\(registry.host)/\(name):latest")
            }
            let destination = try TestDestination(in: scratch.path("pull"))
            try await withClient { client in
                let puller = ImagePuller(client: client, maximumConcurrent: 4)
                let first = try ImageReference(parsing: "\(registry.host)/one")
                let second = try ImageReference(parsing: "\(registry.host)/two")
                async let one = puller.pull(first, into: destination)
                async let two = puller.pull(second, into: destination)
                _ = try await (one, two)
                let blobRequests = registry.requests(containing: "GET /v2/two/blobs/")
                let again = try await puller.pull(second, into: destination)
                #expect(again.fetched.isEmpty)
                #expect(
                    registry.requests(containing: "GET /v2/two/blobs/") == blobRequests,
                    "all present: a manifest, no blob")
            }
            let fetches =
                registry.requests(containing: "GET /v2/one/blobs/\(base.descriptor.digest)")
                + registry.requests(containing: "GET /v2/two/blobs/\(base.descriptor.digest)")
            #expect(fetches == 1, "the base layer two images share went over the wire once")
            #expect(destination.snapshot.committed.filter { $0 == base.descriptor.digest }.count == 1)
        }
    }

    @Test func anUnknownTagOrRepositoryIsOneLineNamingIt() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let registry = try await LocalRegistry(in: scratch, name: "registry")
            defer { registry.stop() }
            let layout = try OCILayout(at: scratch.path("layout"))
            try layout.tag(try layout.image([try await TestLayer.make([("f", [1])], .gzip)]).manifest, "v1")
            try await layout.push("v1", to: "\(registry.host)/app:v1")
            try await withClient { client in
                let tag = try await expectFailure(
                    .manifestUnknown, mentioning: [registry.host, "\"app\"", "tag missing", "MANIFEST_UNKNOWN"]
                ) {
                    _ = try await client.resolve(try ImageReference(parsing: "\(registry.host)/app:missing"))
                }
                #expect(!tag.line.contains("\n"))
                // distribution answers MANIFEST_UNKNOWN for a repository it never had (others NAME_UNKNOWN).
                _ = try await expectFailure(.manifestUnknown, mentioning: [registry.host, "\"nothing/here\"", "v1"]) {
                    _ = try await client.resolve(try ImageReference(parsing: "\(registry.host)/nothing/here:v1"))
                }
            }
        }
    }

    @Test func dockerHubIsPulledFromItsMirror() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let mirror = try await LocalRegistry(in: scratch, name: "mirror")
            defer { mirror.stop() }
            let layout = try OCILayout(at: scratch.path("layout"))
            let image = try layout.image([try await TestLayer.make([("hub", [2])], .gzip)])
            try layout.tag(image.manifest, "v1")
            try await layout.push("v1", to: "\(mirror.host)/library/hubimage:v1")
            let settings = RegistrySettings(mirrors: ["http://\(mirror.host)"], certificateDirectories: [])
            let destination = try TestDestination(in: scratch.path("pull"))
            let pulled = try await withClient(settings: settings) { client in
                try await ImagePuller(client: client).pull(
                    try ImageReference(parsing: "hubimage:v1"), into: destination)
            }
            #expect(pulled.image.manifest.digest == image.manifest.digest)
            #expect(mirror.requests(containing: "GET /v2/library/hubimage/manifests/v1") == 1)
        }
    }
}
