import BerthModel
import Foundation
import HostOS
import Registry
import Testing

@testable import RuntimeLinux

/// OCI image layouts, as a directory and as a tar.
@Suite(.requiresRoot("unpacking layers needs root"))
struct OCILayoutTests {
    struct Layout {
        var directory: String
        var manifest: Digest
        var layers: [Digest]
        var diffIDs: [Digest]
    }

    /// A two-layer image (gzip'd layers) in an OCI layout at `work/layout`,
    /// its index entry carrying `annotations`; with `platforms`, the entry is
    /// a multi-platform index whose host entry is the image and whose others
    /// point at blobs that do not exist.
    static func makeLayout(
        _ fixture: ImageFixture, annotations: [String: String] = ["io.containerd.image.name": "docker.io/team/app:1.2"],
        otherPlatforms: [String] = []
    ) throws -> Layout {
        try fixture.write("l1/bin/a", "a\n")
        try fixture.write("l2/bin/b", "b\n")
        try fixture.directory("layout/blobs/sha256")
        func blob(_ bytes: [UInt8]) throws -> (Digest, Int) {
            let digest = Digest(of: bytes)
            try fixture.write("layout/blobs/sha256/\(digest.hex)", bytes: bytes)
            return (digest, bytes.count)
        }
        var layers: [(Digest, Int)] = []
        var diffIDs: [Digest] = []
        for name in ["l1", "l2"] {
            let tar = try fixture.tar(name, to: "\(name).tar")
            diffIDs.append(try fixture.digest(tar))
            layers.append(try blob(try fixture.bytes(try fixture.gzip("\(name).tar"))))
        }
        let config = try blob(Array(configJSON(cmd: ["app"], diffIDs: diffIDs).utf8))
        let layerJSON = layers.map {
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#($0.0)","size":\#($0.1)}"#
        }.joined(separator: ",")
        let manifest = try blob(
            Array(
                #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config.0)","size":\#(config.1)},"layers":[\#(layerJSON)]}"#
                    .utf8))
        let annotationJSON = annotations.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        var entry =
            #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifest.0)","size":\#(manifest.1),"annotations":{\#(annotationJSON)}}"#
        if !otherPlatforms.isEmpty {
            let missing = String(repeating: "0", count: 64)
            let others = otherPlatforms.map {
                #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(missing)","size":1,"platform":{"architecture":"\#($0)","os":"linux"}}"#
            }
            let host =
                #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifest.0)","size":\#(manifest.1),"platform":{"architecture":"\#(HostPlatform.architecture)","os":"linux"}}"#
            let nested = try blob(
                Array(
                    #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#((others + [host]).joined(separator: ","))]}"#
                        .utf8))
            entry =
                #"{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"\#(nested.0)","size":\#(nested.1),"annotations":{\#(annotationJSON)}}"#
        }
        try fixture.write("layout/oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#)
        try fixture.write("layout/index.json", #"{"schemaVersion":2,"manifests":[\#(entry)]}"#)
        return Layout(
            directory: fixture.path("layout"), manifest: manifest.0, layers: layers.map(\.0), diffIDs: diffIDs)
    }

    @Test func directoryKeepsTheManifestDigest() throws {
        try ImageFixture.with { fixture in
            let layout = try Self.makeLayout(fixture)
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: layout.directory), as: nil)
            #expect(image.references.map(\.description) == ["docker.io/team/app:1.2"])
            #expect(image.digest == layout.manifest, "the manifest is stored byte for byte")
            #expect(image.layers.map(\.digest) == layout.layers)
            #expect(image.layers.map(\.diffID) == layout.diffIDs)
            #expect(image.config.cmd == ["app"])
            let directories = fixture.store.layerDirectories(for: image)
            #expect(Files.kind(directories[0] + "/bin/a") == .regular)
            #expect(Files.kind(directories[1] + "/bin/b") == .regular)
        }
    }

    @Test func tarImportsTheSame() throws {
        try ImageFixture.with { fixture in
            let layout = try Self.makeLayout(fixture)
            let tar = try fixture.tar("layout", to: "layout.tar")
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: tar), as: nil)
            #expect(image.digest == layout.manifest)
            #expect(try fixture.store.image(try ImageReference(parsing: "team/app:1.2")) == image)
            #expect(try fixture.leftovers().isEmpty, "the unpacked archive is gone")
        }
    }

    @Test func theStoreIsItselfALayout() throws {
        try ImageFixture.with { fixture in
            let layout = try Self.makeLayout(fixture)
            try fixture.store.importImage(from: URL(fileURLWithPath: layout.directory), as: nil)
            try fixture.store.tag(
                try ImageReference(parsing: "team/app:1.2"), as: try ImageReference(parsing: "other:3"))
            let second = try ImageStore(root: URL(fileURLWithPath: fixture.root + "/second"))
            let copied = try second.importImages(from: URL(fileURLWithPath: fixture.storeRoot + "/images"))
            #expect(copied.count == 1)
            #expect(copied.first?.digest == layout.manifest)
            #expect(copied.first?.references.map(\.familiar) == ["other:3", "team/app:1.2"])
        }
    }

    @Test func aBareTagNeedsAName() throws {
        try ImageFixture.with { fixture in
            let layout = try Self.makeLayout(fixture, annotations: ["org.opencontainers.image.ref.name": "latest"])
            let url = URL(fileURLWithPath: layout.directory)
            #expect(throws: BerthError.self) { try fixture.store.importImage(from: url, as: nil) }
            let image = try fixture.store.importImage(from: url, as: try ImageReference(parsing: "named"))
            #expect(image.references.map(\.familiar) == ["named:latest"])
        }
    }

    @Test func aMultiPlatformIndexGivesThisHostsImage() throws {
        try ImageFixture.with { fixture in
            let others = ["s390x", "riscv64", "ppc64le"].filter { $0 != HostPlatform.architecture }
            let layout = try Self.makeLayout(fixture, otherPlatforms: others)
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: layout.directory), as: nil)
            #expect(image.digest == layout.manifest)
        }
    }

    @Test func aTamperedLayerIsRefusedAndNothingIsKept() throws {
        try ImageFixture.with { fixture in
            let layout = try Self.makeLayout(fixture)
            let target = layout.directory + "/blobs/sha256/" + layout.layers[1].hex
            var bytes = try fixture.bytes(target)
            bytes[bytes.count / 2] ^= 0xff
            try FileOps.write(bytes, to: target)
            let actual = Digest(of: bytes)
            #expect {
                try fixture.store.importImage(from: URL(fileURLWithPath: layout.directory), as: nil)
            } throws: { error in
                let error = error as? BerthError
                return error?.code == .digestMismatch
                    && error?.message
                        == "layer 2 (\(layout.layers[1])) of image \"team/app:1.2\" in the OCI layout \(layout.directory) has digest \(actual), not the \(layout.layers[1]) it is named by"
            }
            #expect(try fixture.blobCount() == 0, "layer 1 and the config were taken back out")
            #expect(try fixture.layerCount() == 0)
            #expect(try fixture.leftovers().isEmpty)
            #expect(fixture.indexText().isEmpty)
        }
    }

    @Test func aTamperedManifestIsRefused() throws {
        try ImageFixture.with { fixture in
            let layout = try Self.makeLayout(fixture)
            let target = layout.directory + "/blobs/sha256/" + layout.manifest.hex
            try FileOps.write(try fixture.bytes(target) + Array(" ".utf8), to: target)
            #expect {
                try fixture.store.importImage(from: URL(fileURLWithPath: layout.directory), as: nil)
            } throws: { error in
                (error as? BerthError)?.code == .digestMismatch
                    && (error as? BerthError)?.message.hasPrefix(
                        "the manifest \(layout.manifest) of image \"team/app:1.2\"") == true
            }
        }
    }

    @Test func aBlobChangedInTheStoreIsCaughtOnRead() throws {
        try ImageFixture.with { fixture in
            let layout = try Self.makeLayout(fixture)
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: layout.directory), as: nil)
            let path = fixture.storeRoot + "/images/blobs/sha256/" + image.configDigest.hex
            try FileOps.write(try fixture.bytes(path) + Array("\n".utf8), to: path)
            #expect {
                try fixture.store.image(try ImageReference(parsing: "team/app:1.2"))
            } throws: { error in
                (error as? BerthError)?.code == .digestMismatch
                    && (error as? BerthError)?.message.contains(
                        "the config of image \"team/app:1.2\" \(image.configDigest) in the store is corrupt") == true
            }
        }
    }
}
