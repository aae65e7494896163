import BerthModel
import Foundation
import HostOS
import Registry
import Testing

@testable import RuntimeLinux

/// Sharing, naming and removal across images, and failures that must leave nothing behind.
@Suite(.requiresRoot("unpacking layers needs root"))
struct ImageStoreTests {
    /// Two docker archives on one base layer: `one:1` adds /one, `two:1` adds /two.
    static func twoImagesOnOneBase(_ fixture: ImageFixture) throws -> (Image, Image) {
        try fixture.write("base/etc/os-release", "ID=test\n")
        let base = try fixture.tar("base", to: "base.tar")
        var images: [Image] = []
        for name in ["one", "two"] {
            try fixture.write("\(name)/\(name)", "\(name)\n")
            try fixture.directory("\(name)-archive")
            let top = try fixture.tar(name, to: "\(name)-archive/top.tar")
            try FileOps.write(try fixture.bytes(base), to: fixture.path("\(name)-archive/base.tar"))
            let config = configJSON(cmd: [name], diffIDs: [try fixture.digest(base), try fixture.digest(top)])
            try fixture.write("\(name)-archive/config.json", config)
            try fixture.write(
                "\(name)-archive/manifest.json",
                #"[{"Config":"config.json","RepoTags":["\#(name):1"],"Layers":["base.tar","top.tar"]}]"#)
            images.append(
                try fixture.store.importImage(from: URL(fileURLWithPath: fixture.path("\(name)-archive")), as: nil))
        }
        return (images[0], images[1])
    }

    @Test func twoImagesOnOneBaseStoreItOnce() throws {
        try ImageFixture.with { fixture in
            let (one, two) = try Self.twoImagesOnOneBase(fixture)
            #expect(one.layers[0].diffID == two.layers[0].diffID)
            #expect(fixture.store.layerDirectories(for: one)[0] == fixture.store.layerDirectories(for: two)[0])
            #expect(try fixture.layerCount() == 3, "base + one + two")
            #expect(try fixture.blobCount() == 7, "base, two tops, two configs, two manifests")
            #expect(try fixture.store.list().map(\.displayName) == ["one:1", "two:1"])
        }
    }

    @Test func removeRefusesWhileInUseAndNamesTheUsers() throws {
        try ImageFixture.with { fixture in
            let (one, two) = try Self.twoImagesOnOneBase(fixture)
            let name = try ImageReference(parsing: "one:1")
            let before = fixture.indexText()
            #expect(
                throws: BerthError(
                    .inUse, "cannot remove image \"one:1\": it is in use by containers web-1, web-2; remove them first")
            ) {
                try fixture.store.remove(name) { $0 == one.digest ? ["web-1", "web-2"] : [] }
            }
            #expect(fixture.indexText() == before)
            #expect(try fixture.layerCount() == 3)

            let removal = try fixture.store.remove(name) { _ in [] }
            #expect(removal == ImageRemoval(untagged: [name], deleted: [one.digest]))
            #expect(try fixture.layerCount() == 2, "one's own layer goes; the shared base stays for two")
            #expect(try fixture.blobCount() == 4)
            #expect(Files.kind(fixture.store.layerDirectories(for: two)[0] + "/etc/os-release") == .regular)
            #expect(try fixture.store.list().map(\.displayName) == ["two:1"])

            try fixture.store.remove(digest: two.digest) { _ in [] }
            #expect(try fixture.layerCount() == 0 && fixture.blobCount() == 0)
            #expect(try fixture.leftovers().isEmpty)
        }
    }

    @Test func notFoundSaysHowToGetOne() throws {
        try ImageFixture.with { fixture in
            let error = BerthError(
                .notFound,
                "image \"busybox:latest\" not found; import one with `berth image import FILE busybox:latest`")
            #expect(throws: error) { try fixture.store.image(try ImageReference(parsing: "docker.io/library/busybox")) }
            #expect(throws: error) { try fixture.store.remove(try ImageReference(parsing: "busybox")) { _ in [] } }
        }
    }

    @Test func tagsAreNamesOnOneImage() throws {
        try ImageFixture.with { fixture in
            let (one, two) = try Self.twoImagesOnOneBase(fixture)
            let alias = try ImageReference(parsing: "registry.example.com:5000/team/one:prod")
            #expect(try fixture.store.tag(try ImageReference(parsing: "one:1"), as: alias).digest == one.digest)
            #expect(
                try fixture.store.image(alias).references.map(\.familiar) == [
                    "one:1", "registry.example.com:5000/team/one:prod",
                ])

            // Removing one of two names only untags, even while in use.
            let removal = try fixture.store.remove(try ImageReference(parsing: "one:1")) { _ in ["web-1"] }
            #expect(removal.deleted.isEmpty && removal.untagged.map(\.familiar) == ["one:1"])
            #expect(try fixture.store.image(alias).digest == one.digest)

            // Moving a name keeps the image it leaves (a container may run on it), nameless.
            try fixture.store.tag(try ImageReference(parsing: "two:1"), as: alias)
            let images = try fixture.store.list()
            #expect(images.map(\.references.count) == [2, 0])
            #expect(images.first?.digest == two.digest && images.last?.digest == one.digest)
            #expect(try fixture.store.image(digest: one.digest).references.isEmpty)
            #expect(try fixture.layerCount() == 3)
        }
    }

    @Test(arguments: ["garbage", "truncated", "truncated.gz"])
    func aBrokenTarIsAClearErrorAndLeavesNothing(_ kind: String) throws {
        try ImageFixture.with { fixture in
            try fixture.write("rootfs/big", String(repeating: "0123456789abcdef", count: 8192))
            try fixture.write("rootfs/small", "x")
            var input: String
            switch kind {
            case "garbage":
                input = try fixture.write("input.tar", bytes: Array(repeating: 0x42, count: 4096))
            case "truncated":
                let tar = try fixture.tar("rootfs", to: "whole.tar")
                input = try fixture.write("input.tar", bytes: Array(try fixture.bytes(tar).prefix(70_000)))
            default:
                let tar = try fixture.tar("rootfs", to: "whole.tar.gz", gzip: true)
                let bytes = try fixture.bytes(tar)
                input = try fixture.write("input.tar.gz", bytes: Array(bytes.prefix(bytes.count / 2)))
            }
            #expect {
                try fixture.store.importImage(
                    from: URL(fileURLWithPath: input), as: try ImageReference(parsing: "broken"))
            } throws: { error in
                let error = error as? BerthError
                return error?.code == .command
                    && error?.message == "reading \(input) as a tar archive failed: tar exited with status 2"
                    && error?.cause?.isEmpty == false
            }
            #expect(try fixture.leftovers().isEmpty)
            #expect(try fixture.blobCount() == 0 && fixture.layerCount() == 0)
            #expect(fixture.indexText().isEmpty)
        }
    }

    @Test func aLayerThatBreaksWhileUnpackingIsUndone() throws {
        try ImageFixture.with { fixture in
            // The config lists the truncated layer's true digest, so every
            // digest check passes and tar itself is what fails, half-way.
            try fixture.write("base/ok", "ok\n")
            try fixture.write("top/big", String(repeating: "z", count: 100_000))
            try fixture.directory("archive")
            let base = try fixture.tar("base", to: "archive/base.tar")
            let whole = try fixture.tar("top", to: "top.tar")
            let top = try fixture.write("archive/top.tar", bytes: Array(try fixture.bytes(whole).prefix(40_000)))
            try fixture.write(
                "archive/config.json",
                configJSON(cmd: ["sh"], diffIDs: [try fixture.digest(base), try fixture.digest(top)]))
            try fixture.write(
                "archive/manifest.json",
                #"[{"Config":"config.json","RepoTags":["half:1"],"Layers":["base.tar","top.tar"]}]"#)
            #expect {
                try fixture.store.importImage(from: URL(fileURLWithPath: fixture.path("archive")), as: nil)
            } throws: { error in
                let error = error as? BerthError
                return error?.code == .command
                    && error?.message.hasPrefix("unpacking layer 2 (top.tar) of image \"half:1\" in the docker archive")
                        == true
                    && error?.cause?.contains("Unexpected EOF") == true
            }
            #expect(try fixture.leftovers().isEmpty, "no .tmp-* layer directory, nothing in images/tmp")
            #expect(try fixture.layerCount() == 0, "the base layer unpacked before the failure is undone")
            #expect(try fixture.blobCount() == 0)
            #expect(fixture.indexText().isEmpty)
        }
    }

    @Test func crashLeftoversAreSweptOnOpen() throws {
        try ImageFixture.with { fixture in
            try FileOps.makeDirectories(fixture.storeRoot + "/layers/.tmp-abc-123456/usr")
            try fixture.write("ignored", "")
            try FileOps.write([1, 2, 3], to: fixture.storeRoot + "/images/tmp/blob-XYZ")
            _ = try ImageStore(root: URL(fileURLWithPath: fixture.storeRoot))
            #expect(try fixture.leftovers().isEmpty)
        }
    }

    @Test(.enabled(if: Files.kind("/bin/busybox") == .regular, "needs Debian's busybox-static"))
    func theBusyboxScriptMakesAnImportableBase() throws {
        try ImageFixture.with { fixture in
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                    "scripts/make-busybox-image.sh")
            let output = fixture.path("busybox.tar")
            try Command.run("bash", [script.path, output], what: "running make-busybox-image.sh")
            let image = try fixture.store.importImage(from: URL(fileURLWithPath: output), as: nil)
            #expect(image.references.map(\.familiar) == ["busybox:latest"])
            #expect(image.config.cmd == ["sh"])
            let root = try #require(fixture.store.layerDirectories(for: image).first)
            #expect(Files.kind(root + "/bin/busybox") == .regular)
            #expect(Files.kind(root + "/bin/sh") == .symlink)
            #expect(Files.kind(root + "/usr/bin/env") == .symlink)
            #expect(fileInfo(root + "/tmp").map { $0.st_mode & 0o7777 } == 0o1777)
            let passwd = String(decoding: try fixture.bytes(root + "/etc/passwd"), as: UTF8.self)
            #expect(
                passwd.contains("www-data:x:33:33:") && passwd.contains("nobody:x:65534:")
                    && passwd.hasPrefix("root:x:0:0:"))
            #expect(Files.kind(root + "/var/www") == .directory && Files.kind(root + "/root") == .directory)
        }
    }
}
