import BerthModel
import TestSupport
import Testing

@testable import Registry

/// Decoding the four kinds of manifest, and choosing a platform from an index.
@Suite struct ManifestTests {
    static func digest(_ c: Character) -> String { "sha256:" + String(repeating: c, count: 64) }

    static let dockerManifest = """
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
         "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1470,"digest":"\(digest("a"))"},
         "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":3,"digest":"\(digest("b"))"}]}
        """

    static let ociManifestWithoutMediaType = """
        {"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"\(digest("c"))"},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","size":5,"digest":"\(digest("d"))"},
                   {"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","size":9,
                    "digest":"\(digest("e"))","urls":["https://example.invalid/layer"]}],
         "annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}}
        """

    static let manifestList = """
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[
          {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"\(digest("1"))",
           "platform":{"architecture":"arm","os":"linux","variant":"v7"}},
          {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"\(digest("2"))",
           "platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
          {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"\(digest("3"))",
           "platform":{"architecture":"amd64","os":"linux"}},
          {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"\(digest("4"))",
           "platform":{"architecture":"amd64","os":"windows","os.version":"10.0.17763.5329"}}]}
        """

    static let ociIndex = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"\(digest("5"))",
           "platform":{"architecture":"s390x","os":"linux"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"\(digest("6"))",
           "platform":{"architecture":"unknown","os":"unknown"},
           "annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}
        """

    @Test func dockerSchema2() throws {
        let document = try ManifestDocument(bytes: Array(Self.dockerManifest.utf8), contentType: nil, what: "app")
        guard case .image(let manifest) = document.content else { throw TestFailure("not an image") }
        #expect(document.mediaType == MediaType.dockerManifest)
        #expect(manifest.config.size == 1470)
        #expect(manifest.layers.map(\.digest.description) == [Self.digest("b")])
        #expect(document.digest == Digest(of: Array(Self.dockerManifest.utf8)), "the digest is of the bytes as served")
    }

    @Test func ociManifestTakesItsTypeFromTheAnswer() throws {
        let document = try ManifestDocument(
            bytes: Array(Self.ociManifestWithoutMediaType.utf8),
            contentType: "application/vnd.oci.image.manifest.v1+json; charset=utf-8", what: "app")
        guard case .image(let manifest) = document.content else { throw TestFailure("not an image") }
        #expect(document.mediaType == MediaType.ociManifest)
        #expect(MediaType.compression(ofLayer: manifest.layers[0].mediaType) == .zstd)
        #expect(MediaType.isNonDistributable(manifest.layers[1].mediaType))
        #expect(manifest.layers[1].urls == ["https://example.invalid/layer"])
    }

    @Test func aManifestListPicksTheEntryForThePlatform() throws {
        let document = try ManifestDocument(bytes: Array(Self.manifestList.utf8), contentType: nil, what: "app")
        guard case .index(let index) = document.content else { throw TestFailure("not an index") }
        let amd64 = try index.select(PlatformMatcher(Platform(os: "linux", architecture: "amd64")), image: "app")
        #expect(amd64.digest.description == Self.digest("3"))
        let arm64 = try index.select(PlatformMatcher(try Platform(parsing: "linux/arm64/v8")), image: "app")
        #expect(arm64.digest.description == Self.digest("2"))
        let arm = try index.select(PlatformMatcher(try Platform(parsing: "linux/arm/v8")), image: "app")
        #expect(arm.digest.description == Self.digest("1"), "arm/v8 runs arm/v7")
    }

    @Test func noEntryForThePlatformListsThoseThereAre() throws {
        let document = try ManifestDocument(bytes: Array(Self.ociIndex.utf8), contentType: nil, what: "app")
        guard case .index(let index) = document.content else { throw TestFailure("not an index") }
        #expect(
            throws: BerthError(.platformNotFound, "app has no manifest for linux/amd64", cause: "it has linux/s390x")
        ) {
            try index.select(PlatformMatcher(Platform(os: "linux", architecture: "amd64")), image: "app")
        }
    }

    @Test func anIndexWithoutMediaTypeIsKnownByItsManifests() throws {
        let bare = #"{"schemaVersion":2,"manifests":[]}"#
        let document = try ManifestDocument(bytes: Array(bare.utf8), contentType: "application/json", what: "app")
        #expect(document.mediaType == MediaType.ociIndex)
    }

    @Test func schema1IsRefusedWithAReason() {
        let old = #"{"schemaVersion":1,"name":"library/busybox","tag":"latest","fsLayers":[]}"#
        #expect {
            try ManifestDocument(bytes: Array(old.utf8), contentType: MediaType.dockerSchema1Signed, what: "busybox")
        } throws: { error in
            (error as? BerthError)?.code == .unsupported && "\(error)".contains("schema 1")
        }
    }

    @Test func garbageIsAProtocolError() {
        #expect {
            try ManifestDocument(bytes: Array("<html>".utf8), contentType: "text/html", what: "app")
        } throws: { error in
            (error as? BerthError)?.code == .registryProtocol
        }
    }
}
