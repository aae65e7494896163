import BerthModel
import Foundation
import HostOS
import Registry
import Testing

@testable import RuntimeLinux

#if canImport(Glibc)
import Glibc
#endif

/// A root filesystem (directory or tar) made into a one-layer image with a given config.
@Suite(.requiresRoot("unpacking layers needs root"))
struct RootfsImportTests {
    static let config = ImageConfig(
        entrypoint: ["/bin/entry", "--flag"], cmd: ["serve", "-v"], env: ["PATH=/bin", "MODE=test"],
        workingDir: "/srv", user: "www-data:33", exposedPorts: ["8080", "53/udp"], volumes: ["/data", "/cache"],
        healthcheck: ImageHealthcheck(
            test: ["CMD-SHELL", "wget -q localhost:8080 || exit 1"], interval: .seconds(30), timeout: .seconds(3),
            startPeriod: .seconds(5), startInterval: .milliseconds(500), retries: 4),
        stopSignal: "SIGQUIT", labels: ["org.example.team": "infra", "version": "1.2"])

    /// A small tree with an owner, a setuid mode, a symlink and an xattr to carry through.
    static func makeRootfs(_ fixture: ImageFixture, at name: String = "rootfs") throws {
        try fixture.write("\(name)/etc/hostname", "box\n")
        let tool = try fixture.write("\(name)/bin/tool", "#!/bin/sh\n", mode: 0o755)
        chown(tool, 1000, 1001)
        chmod(tool, 0o4750)
        try Xattr.set(tool, "user.berth.test", Array("kept".utf8), what: "setting a test xattr")
        try fixture.directory("\(name)/srv")
        symlink("/etc/hostname", fixture.path("\(name)/hostname-link"))
    }

    @Test func directoryWithConfigReadsBack() throws {
        try ImageFixture.with { fixture in
            try Self.makeRootfs(fixture)
            let name = try ImageReference(parsing: "app:1.0")
            let imported = try fixture.store.importImage(
                from: URL(fileURLWithPath: fixture.path("rootfs")), as: name, config: Self.config)
            let image = try fixture.store.image(try ImageReference(parsing: "docker.io/library/app:1.0"))
            #expect(image == imported)
            #expect(image.references == [name])
            #expect(image.layers.count == 1)
            #expect(image.os == "linux")

            let config = image.config
            #expect(config.entrypoint == ["/bin/entry", "--flag"])
            #expect(config.cmd == ["serve", "-v"])
            #expect(config.env == ["PATH=/bin", "MODE=test"])
            #expect(config.workingDir == "/srv")
            #expect(config.user == "www-data:33")
            #expect(config.exposedPorts == ["53/udp", "8080/tcp"])
            #expect(config.volumes == ["/cache", "/data"])
            #expect(config.healthcheck?.test == ["CMD-SHELL", "wget -q localhost:8080 || exit 1"])
            #expect(config.healthcheck?.interval == .seconds(30))
            #expect(config.healthcheck?.timeout == .seconds(3))
            #expect(config.healthcheck?.startPeriod == .seconds(5))
            #expect(config.healthcheck?.startInterval == .milliseconds(500))
            #expect(config.healthcheck?.retries == 4)
            #expect(config.stopSignal == "SIGQUIT")
            #expect(config.labels == ["org.example.team": "infra", "version": "1.2"])
            #expect(config == Self.config)

            // The config blob uses docker's names and nanoseconds, as other tools expect.
            let raw = String(decoding: try fixture.store.blobs.read(image.configDigest, what: "config"), as: UTF8.self)
            #expect(raw.contains(#""Interval":30000000000"#))
            #expect(raw.contains(#""ExposedPorts":{"53/udp":{},"8080/tcp":{}}"#))

            let layer = try #require(fixture.store.layerDirectories(for: image).first)
            #expect(layer == fixture.storeRoot + "/layers/" + image.layers[0].diffID.hex)
            let tool = try #require(fileInfo(layer + "/bin/tool"))
            #expect(tool.st_uid == 1000 && tool.st_gid == 1001)
            #expect(tool.st_mode & 0o7777 == 0o4750)
            #expect(Xattr.get(layer + "/bin/tool", "user.berth.test") == Array("kept".utf8))
            #expect(Files.kind(layer + "/hostname-link") == .symlink)
            #expect(try fixture.leftovers().isEmpty)
        }
    }

    @Test func gzippedTarWithConfigReadsBack() throws {
        try ImageFixture.with { fixture in
            try Self.makeRootfs(fixture)
            let tar = try fixture.tar("rootfs", to: "rootfs.tar.gz", gzip: true)
            let image = try fixture.store.importImage(
                from: URL(fileURLWithPath: tar),
                as: try ImageReference(parsing: "registry.example.com:5000/team/app:1.2"),
                config: Self.config)
            #expect(image.layers[0].mediaType == "application/vnd.oci.image.layer.v1.tar+gzip")
            #expect(image.layers[0].digest == (try fixture.digest(tar)), "the blob is the tar as given")
            #expect(image.layers[0].diffID != image.layers[0].digest, "the diff ID is of the uncompressed tar")
            let read = try fixture.store.image(try ImageReference(parsing: "registry.example.com:5000/team/app:1.2"))
            #expect(read.config == Self.config)
            let layer = fixture.store.layerDirectories(for: read)[0]
            #expect(fileInfo(layer + "/bin/tool")?.st_uid == 1000)
            #expect(Files.kind(layer + "/etc/hostname") == .regular)
        }
    }

    @Test func plainTarWithoutConfigHasAnEmptyOne() throws {
        try ImageFixture.with { fixture in
            try Self.makeRootfs(fixture)
            let tar = try fixture.tar("rootfs", to: "rootfs.tar")
            let image = try fixture.store.importImage(
                from: URL(fileURLWithPath: tar), as: try ImageReference(parsing: "bare"))
            #expect(image.config == ImageConfig())
            #expect(image.layers[0].diffID == image.layers[0].digest)
            #expect(image.layers[0].mediaType == "application/vnd.oci.image.layer.v1.tar")
        }
    }

    @Test func theSameTreeTwiceIsOneLayer() throws {
        try ImageFixture.with { fixture in
            try Self.makeRootfs(fixture)
            let url = URL(fileURLWithPath: fixture.path("rootfs"))
            let a = try fixture.store.importImage(from: url, as: try ImageReference(parsing: "a"), config: Self.config)
            let b = try fixture.store.importImage(
                from: url, as: try ImageReference(parsing: "b"), config: ImageConfig(cmd: ["sh"]))
            #expect(a.layers[0].diffID == b.layers[0].diffID, "packing is reproducible")
            #expect(try fixture.layerCount() == 1)
        }
    }

    @Test func aNameIsRequiredAndAConfigOnlyFitsARootfs() throws {
        try ImageFixture.with { fixture in
            try Self.makeRootfs(fixture)
            let url = URL(fileURLWithPath: fixture.path("rootfs"))
            #expect {
                try fixture.store.importImage(from: url, as: nil)
            } throws: { error in
                (error as? BerthError)?.message
                    == "importing \(url.path): the image has no name; give one, e.g. `berth image import \(url.path) NAME:TAG`"
            }
            #expect(throws: BerthError.self) {
                try fixture.store.importImage(
                    from: url, as: try ImageReference(parsing: "app@sha256:" + String(repeating: "a", count: 64)))
            }
            #expect(try fixture.blobCount() == 0)
            #expect(try fixture.leftovers().isEmpty)
        }
    }
}
