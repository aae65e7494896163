import BerthModel
import Foundation
import HostOS
import Registry
import Testing

@testable import RuntimeLinux

#if canImport(Glibc)
import Glibc
#endif

/// `docker save` tarballs: manifest.json, a config JSON and layer tars, with
/// whiteouts in the upper layer.
@Suite(.requiresRoot("unpacking layers needs root"))
struct DockerArchiveTests {
    /// Two layers: the base adds files; the top deletes `/etc/a` with a
    /// whiteout, makes `/opt/d` opaque and adds `/opt/d/y`. Returns the
    /// archive's path and the layers' diff IDs.
    static func makeArchive(
        _ fixture: ImageFixture, tags: [String] = ["team/app:1.0", "team/app:latest"], gzipTop: Bool = false,
        configName: ((Digest) -> String)? = nil, layerPaths: [String]? = nil,
        configDiffIDs: ([Digest]) -> [Digest] = { $0 }
    ) throws -> (String, [Digest]) {
        try fixture.write("base/etc/a", "a\n")
        try fixture.write("base/etc/b", "b\n")
        try fixture.write("base/opt/d/x", "x\n")
        try fixture.write("top/etc/.wh.a", "")
        try fixture.write("top/opt/d/.wh..wh..opq", "")
        try fixture.write("top/opt/d/y", "y\n")
        try fixture.directory("archive/l1")
        try fixture.directory("archive/l2")
        let base = try fixture.tar("base", to: "archive/l1/layer.tar")
        var top = try fixture.tar(
            "top", members: ["./etc", "./etc/.wh.a", "./opt", "./opt/d", "./opt/d/.wh..wh..opq", "./opt/d/y"],
            to: "archive/l2/layer.tar")
        let diffIDs = [try fixture.digest(base), try fixture.digest(top)]
        if gzipTop {
            let gz = try fixture.gzip("archive/l2/layer.tar")
            try FileOps.rename(gz, top)
            top = fixture.path("archive/l2/layer.tar")
        }
        let config = configJSON(
            cmd: ["/bin/sh", "-c", "run"], diffIDs: configDiffIDs(diffIDs), extra: #","User":"33""#)
        let configDigest = Digest(of: Array(config.utf8))
        let configFile = configName?(configDigest) ?? "\(configDigest.hex).json"
        try fixture.write("archive/\(configFile)", config)
        let layers = (layerPaths ?? ["l1/layer.tar", "l2/layer.tar"]).map { "\"\($0)\"" }.joined(separator: ",")
        let repoTags = tags.map { "\"\($0)\"" }.joined(separator: ",")
        try fixture.write(
            "archive/manifest.json", #"[{"Config":"\#(configFile)","RepoTags":[\#(repoTags)],"Layers":[\#(layers)]}]"#)
        return (try fixture.tar("archive", to: "saved.tar"), diffIDs)
    }

    @Test func whiteoutsBecomeOverlayForm() throws {
        try ImageFixture.with { fixture in
            let (archive, diffIDs) = try Self.makeArchive(fixture)
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: archive), as: nil)
            #expect(image.references.map(\.familiar) == ["team/app:1.0", "team/app:latest"])
            #expect(image.config.cmd == ["/bin/sh", "-c", "run"])
            #expect(image.config.user == "33")
            #expect(image.config.workingDir == nil && image.config.entrypoint == nil)
            #expect(image.created == "2024-01-02T03:04:05Z")
            #expect(image.layers.map(\.diffID) == diffIDs)

            let directories = fixture.store.layerDirectories(for: image)
            #expect(directories == diffIDs.map { fixture.storeRoot + "/layers/" + $0.hex }, "lowest first")
            let (lower, upper) = (directories[0], directories[1])

            let whiteout = try #require(fileInfo(upper + "/etc/a"))
            #expect(whiteout.st_mode & S_IFMT == S_IFCHR, "a whiteout is a character device")
            #expect(whiteout.st_rdev == 0, "device 0/0")
            #expect(whiteout.st_uid == 0 && whiteout.st_gid == 0)
            #expect(Files.kind(upper + "/etc/.wh.a") == .missing)
            #expect(Xattr.get(upper + "/opt/d", "trusted.overlay.opaque") == [UInt8(ascii: "y")])
            #expect(Files.kind(upper + "/opt/d/.wh..wh..opq") == .missing)
            #expect(Files.kind(upper + "/opt/d/y") == .regular)

            #expect(Files.kind(lower + "/etc/a") == .regular, "the base layer is untouched")
            #expect(Files.kind(lower + "/opt/d/x") == .regular)
            #expect(Xattr.get(lower + "/opt/d", "trusted.overlay.opaque") == nil)
            #expect(try fixture.leftovers().isEmpty)
        }
    }

    @Test func gzippedLayersAndAnExplicitName() throws {
        try ImageFixture.with { fixture in
            let (archive, diffIDs) = try Self.makeArchive(fixture, gzipTop: true)
            let name = try ImageReference(parsing: "renamed:2")
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: archive), as: name)
            #expect(image.references == [name], "the caller's name replaces the archive's")
            #expect(image.layers.map(\.diffID) == diffIDs)
            #expect(image.layers[1].mediaType == "application/vnd.oci.image.layer.v1.tar+gzip")
            #expect(fileInfo(fixture.store.layerDirectories(for: image)[1] + "/etc/a")?.st_rdev == 0)
        }
    }

    @Test func newerDockerLayoutWithBlobPaths() throws {
        try ImageFixture.with { fixture in
            // docker 25+ names files blobs/sha256/<hex>; the digests in the names are checked.
            try fixture.write("pre/x", "x")
            let layer = try fixture.tar("pre", to: "layer.tar")
            let diffID = try fixture.digest(layer)
            let config = configJSON(cmd: ["sh"], diffIDs: [diffID])
            let configDigest = Digest(of: Array(config.utf8))
            try fixture.write("archive/blobs/sha256/\(configDigest.hex)", config)
            try FileOps.rename(layer, fixture.path("archive/blobs/sha256/\(diffID.hex)"))
            try fixture.write(
                "archive/manifest.json",
                #"[{"Config":"blobs/sha256/\#(configDigest.hex)","RepoTags":["new:1"],"Layers":["blobs/sha256/\#(diffID.hex)"]}]"#
            )
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: fixture.path("archive")), as: nil)
            #expect(image.references.map(\.familiar) == ["new:1"])
            #expect(image.configDigest == configDigest)
        }
    }

    @Test func aConfigWhoseNameLiesIsRefused() throws {
        try ImageFixture.with { fixture in
            let wrong = String(repeating: "e", count: 64)
            let (archive, _) = try Self.makeArchive(fixture, configName: { _ in "\(wrong).json" })
            #expect {
                try fixture.store.importImage(from: URL(fileURLWithPath: archive), as: nil)
            } throws: { error in
                let error = error as? BerthError
                return error?.code == .digestMismatch
                    && error?.message.contains("the config \(wrong).json of image \"team/app:1.0\"") == true
                    && error?.message.contains("not the sha256:\(wrong) it is named by") == true
            }
            #expect(try fixture.blobCount() == 0 && fixture.layerCount() == 0)
            #expect(try fixture.leftovers().isEmpty)
            #expect(fixture.indexText().isEmpty)
        }
    }

    @Test func aLayerThatIsNotWhatTheConfigSaysIsRefused() throws {
        try ImageFixture.with { fixture in
            let bogus = Digest(of: Array("not the layer".utf8))
            let (tampered, diffIDs) = try Self.makeArchive(fixture, configDiffIDs: { [$0[0], bogus] })
            #expect {
                try fixture.store.importImage(from: URL(fileURLWithPath: tampered), as: nil)
            } throws: { error in
                let error = error as? BerthError
                return error?.code == .digestMismatch
                    && error?.message
                        == "layer 2 (l2/layer.tar) of image \"team/app:1.0\" in the docker archive \(tampered) unpacks to content with digest \(diffIDs[1]), but the image config says \(bogus)"
            }
            #expect(try fixture.blobCount() == 0, "the first layer's blob is taken back out")
            #expect(try fixture.layerCount() == 0, "and its unpacked directory too")
            #expect(try fixture.leftovers().isEmpty)
        }
    }

    @Test func pathsThatLeaveTheArchiveAreRefused() throws {
        try ImageFixture.with { fixture in
            let (archive, _) = try Self.makeArchive(fixture, layerPaths: ["l1/layer.tar", "../../../etc/passwd"])
            #expect {
                try fixture.store.importImage(from: URL(fileURLWithPath: archive), as: nil)
            } throws: { error in
                (error as? BerthError)?.code == .invalidArchive
                    && (error as? BerthError)?.message.contains(
                        #"names the path "../../../etc/passwd", which leaves the archive"#) == true
            }
            #expect(try fixture.leftovers().isEmpty)
        }
    }

    @Test func aSymlinkedLayerIsRefused() throws {
        try ImageFixture.with { fixture in
            _ = try Self.makeArchive(fixture)
            FileOps.removeTree(fixture.path("archive/l2/layer.tar"))
            symlink("/etc/passwd", fixture.path("archive/l2/layer.tar"))
            #expect {
                try fixture.store.importImage(from: URL(fileURLWithPath: fixture.path("archive")), as: nil)
            } throws: { error in
                (error as? BerthError)?.message.contains("which is not a regular file in the archive") == true
            }
            #expect(try fixture.leftovers().isEmpty)
        }
    }
}
