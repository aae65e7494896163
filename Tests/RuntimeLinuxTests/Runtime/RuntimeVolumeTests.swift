import BerthModel
import Foundation
import Glibc
import RuntimeKit
import Testing

@testable import RuntimeLinux

extension HostResourceTests.LinuxRuntimeTests {
    /// Volumes and binds through `LinuxRuntime`.
    @Suite(.timeLimit(.minutes(3))) struct RuntimeVolumeTests {
        @Test func namedVolumeIsSeededFromTheImageAndOutlivesItsContainer() async throws {
            try await RuntimeFixture.with { f in
                let name = f.resource("usr")
                var writer = f.spec("writer", ["sh", "-c", "echo kept > /usr/extra"])
                writer.mounts = [.volume(name: name, target: "/usr", readOnly: false, nocopy: false)]
                // /tmp of the image is 1777: the seeded volume's root takes its mode.
                writer.mounts.append(.volume(name: f.resource("tmp"), target: "/tmp", readOnly: false, nocopy: false))
                try await f.run(writer)
                #expect(try await f.runtime.waitContainer(writer.name) == 0)
                let error = await #expect(throws: BerthError.self) { try await f.runtime.removeVolume(name) }
                #expect(error?.message == "volume \"\(name)\" is in use by container \"\(writer.name)\"")
                try await f.runtime.removeContainer(writer.name, force: false)

                let volumes = try await f.runtime.volumes(matching: LabelFilter())
                let usr = try #require(volumes.first { $0.name == name })
                let env = try FileManager.default.destinationOfSymbolicLink(atPath: usr.mountpoint + "/bin/env")
                #expect(env == "/bin/busybox", "seeded from the image's /usr, symlinks kept")
                #expect(try String(contentsOfFile: usr.mountpoint + "/extra", encoding: .utf8) == "kept\n")
                let tmp = try #require(volumes.first { $0.name == f.resource("tmp") })
                var info = stat()
                #expect(stat(tmp.mountpoint, &info) == 0 && info.st_mode & 0o7777 == 0o1777)

                // A later container sees what the first one left; nocopy seeds nothing.
                var reader = f.spec("reader", ["sleep", "1000"])
                reader.mounts = [
                    .volume(name: name, target: "/usr", readOnly: true, nocopy: false),
                    .volume(name: f.resource("bare"), target: "/var", readOnly: false, nocopy: true),
                ]
                try await f.run(reader)
                #expect(try await f.exec(reader.name, ["cat", "/usr/extra"]).stdout == "kept\n")
                #expect(try await f.exec(reader.name, ["touch", "/usr/nope"]).exitCode != 0, "mounted read-only")
                #expect(try await f.exec(reader.name, ["ls", "-A", "/var"]).stdout == "")
            }
        }

        @Test func anonymousVolumeGoesWithItsContainer() async throws {
            try await RuntimeFixture.with { f in
                var spec = f.spec("anon", ["sh", "-c", "echo x > /data/x"])
                spec.mounts = [.anonymous(target: "/data"), .tmpfs(target: "/scratch", size: 1 << 20, mode: 0o700)]
                try await f.run(spec)
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                let volumes = try await f.runtime.volumes(matching: LabelFilter(["com.docker.volume.anonymous": nil]))
                #expect(volumes.count == 1 && volumes.first?.name.count == 64)
                let mountpoint = try #require(volumes.first?.mountpoint)
                #expect(FileManager.default.fileExists(atPath: mountpoint + "/x"))
                try await f.runtime.removeContainer(spec.name, force: false)
                #expect(try await f.runtime.volumes(matching: LabelFilter()).isEmpty)
            }
        }

        @Test func aRecreatedContainerMountsTheAnonymousVolumesItInherits() async throws {
            try await RuntimeFixture.with { f in
                var spec = f.spec("inherit", ["sh", "-c", "echo first > /data/x"])
                spec.mounts = [.anonymous(target: "/data")]
                let first = try await f.run(spec)
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                let volume = try #require(first.anonymousVolumes?["/data"])
                let mountpoint = try #require(try await f.runtime.volumes(matching: LabelFilter()).first?.mountpoint)

                // Removed for a recreate: the volume and its data stay.
                try await f.runtime.removeContainer(spec.name, force: false, keepingAnonymousVolumes: true)
                #expect(try await f.runtime.volumes(matching: LabelFilter()).map(\.name) == [volume])

                // A create that fails (its port is taken) leaves the inherited volume alone.
                let (socket, port) = try listeningSocket()
                defer { close(socket) }
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("inherit")))
                spec.inheritedVolumes = ["/data": volume]
                spec.networks = [NetworkAttachment(network: network.name)]
                spec.ports = [PortSpec(hostIP: "127.0.0.1", hostPort: port, containerPort: 80)]
                await #expect(throws: BerthError.self) { try await f.runtime.createContainer(spec) }
                #expect(try await f.runtime.volumes(matching: LabelFilter()).map(\.name) == [volume])

                // The new container mounts it again, data and all.
                spec.ports = []
                spec.command = ["sh", "-c", "cat /data/x > /data/seen"]
                let second = try await f.run(spec)
                #expect(second.anonymousVolumes?["/data"] == volume)
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                #expect(try String(contentsOfFile: mountpoint + "/seen", encoding: .utf8) == "first\n")

                // A recreate that no longer mounts it lets it go, as its container went.
                try await f.runtime.removeContainer(spec.name, force: false, keepingAnonymousVolumes: true)
                spec.mounts = []
                _ = try await f.runtime.createContainer(spec)
                #expect(try await f.runtime.volumes(matching: LabelFilter()).isEmpty)
                try await f.runtime.removeContainer(spec.name, force: false)
            }
        }

        @Test func volumesFromMountsTheOtherContainersVolumesAndBinds() async throws {
            try await RuntimeFixture.with { f in
                let named = f.resource("shared")
                let bind = f.root + "/binds/shared"
                var data = f.spec("data", ["sh", "-c", "echo n > /named/f; echo a > /anon/f; echo b > /bind/f"])
                data.mounts = [
                    .volume(name: named, target: "/named", readOnly: false, nocopy: false),
                    .anonymous(target: "/anon"),
                    .bind(source: bind, target: "/bind", readOnly: false, createHostPath: true),
                    .tmpfs(target: "/scratch", size: nil, mode: nil),
                ]
                try await f.run(data)
                #expect(try await f.runtime.waitContainer(data.name) == 0)

                var reader = f.spec("reader", ["sleep", "1000"])
                reader.volumesFrom = [VolumesFromContainer(container: data.name, readOnly: true)]
                try await f.run(reader)
                let seen = try await f.exec(reader.name, ["cat", "/named/f", "/anon/f", "/bind/f"])
                #expect(seen.stdout == "n\na\nb\n", "\(seen)")
                #expect(try await f.exec(reader.name, ["touch", "/named/g"]).exitCode != 0, "mounted read-only")
                #expect(try await f.exec(reader.name, ["test", "-d", "/scratch"]).exitCode != 0, "tmpfs is not shared")

                // Their container gone, the volumes stay while the reader uses them:
                // the named one refuses removal naming it.
                try await f.runtime.removeContainer(data.name, force: false)
                #expect(try await f.runtime.volumes(matching: LabelFilter()).count == 2)
                let error = await #expect(throws: BerthError.self) { try await f.runtime.removeVolume(named) }
                #expect(error?.message.contains(reader.name) == true, "\(String(describing: error))")

                var orphan = f.spec("orphan", ["true"])
                orphan.volumesFrom = [VolumesFromContainer(container: f.name("absent"))]
                let missing = await #expect(throws: BerthError.self) { try await f.runtime.createContainer(orphan) }
                #expect(missing?.message.contains(f.name("absent")) == true, "\(String(describing: missing))")

                // The anonymous one goes with the last container that mounts it.
                try await f.runtime.removeContainer(reader.name, force: true)
                #expect(try await f.runtime.volumes(matching: LabelFilter()).map(\.name) == [named])
                try await f.runtime.removeVolume(named)
                #expect(try await f.runtime.volumes(matching: LabelFilter()).isEmpty)
            }
        }

        @Test func bindMountsCreateTheirSourceAndHonourReadOnly() async throws {
            try await RuntimeFixture.with { f in
                let source = f.root + "/binds/made/here"
                var spec = f.spec("bind", ["sleep", "1000"])
                spec.mounts = [
                    .bind(source: source, target: "/mnt/rw", readOnly: false, createHostPath: true),
                    .bind(source: source, target: "/mnt/ro", readOnly: true, createHostPath: true),
                ]
                try await f.run(spec)
                #expect(try await f.exec(spec.name, ["sh", "-c", "echo hi > /mnt/rw/f"]).exitCode == 0)
                #expect(try String(contentsOfFile: source + "/f", encoding: .utf8) == "hi\n")
                #expect(try await f.exec(spec.name, ["sh", "-c", "echo no > /mnt/ro/g"]).exitCode != 0)
                var missing = f.spec("nobind", ["true"])
                missing.mounts = [
                    .bind(source: f.root + "/absent", target: "/x", readOnly: false, createHostPath: false)
                ]
                await #expect(throws: BerthError.self) { try await f.runtime.createContainer(missing) }
            }
        }

        @Test func volumeNamesThatCouldEscapeAreRefused() async throws {
            try await RuntimeFixture.with { f in
                for bad in ["a/b", "..", "../x", ""] {
                    let error = await #expect(throws: BerthError.self) {
                        try await f.runtime.createVolume(name: bad, labels: [:])
                    }
                    #expect(error?.code == .invalidName, "\(bad): \(String(describing: error))")
                }
                var spec = f.spec("escape", ["true"])
                spec.mounts = [.volume(name: "../../etc", target: "/x", readOnly: false, nocopy: false)]
                await #expect(throws: BerthError.self) { try await f.runtime.createContainer(spec) }
                let made = try await f.runtime.createVolume(name: f.resource("ok"), labels: ["k": "v"])
                #expect(try await f.runtime.createVolume(name: f.resource("ok"), labels: [:]) == made)
            }
        }
    }
}
