import BerthModel
import Foundation
import Registry
import RuntimeKit
import Testing

@testable import RuntimeLinux

extension HostResourceTests.LinuxRuntimeTests {
    /// Images through `LinuxRuntime`: listing, import, removal while used.
    @Suite(.timeLimit(.minutes(3))) struct RuntimeImageTests {
        @Test func importedImagesAreListedAndLookedUp() async throws {
            try await RuntimeFixture.with { f in
                let busybox = try await f.runtime.image("busybox")
                #expect(
                    busybox.reference == "busybox:latest" && busybox.digest.hasPrefix("sha256:") && busybox.size > 0)
                #expect(try await f.runtime.images() == [busybox])
                let missing = await #expect(throws: BerthError.self) { try await f.runtime.image("nosuch") }
                #expect(missing?.message.contains("berth image import FILE nosuch:latest") == true)

                // A root filesystem (here: the busybox layer itself) under a name of our choosing.
                let store = await f.runtime.imageStore
                let layers = store.layerDirectories(for: try store.image(try ImageReference(parsing: "busybox")))
                let rootfs = try #require(layers.first)
                let imported = try await f.runtime.importImage(path: rootfs, reference: "mine:1")
                #expect(imported.map(\.reference) == ["mine:1"])
                var spec = f.spec("mine", ["echo", "from mine"])
                spec.image = "mine:1"
                try await f.run(spec)
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                #expect(try await logLines(f, spec.name) == ["from mine"])
            }
        }

        @Test func imageInUseIsRemovedOnlyByNameAndOnlyWithForce() async throws {
            try await RuntimeFixture.with { f in
                let spec = f.spec("user", ["sh", "-c", "exit 0"])
                try await f.run(spec)
                let error = await #expect(throws: BerthError.self) {
                    try await f.runtime.removeImage("busybox:latest", force: false)
                }
                #expect(
                    error?.code == .inUse && error?.message.contains(spec.name) == true, "\(String(describing: error))")
                #expect(try await f.runtime.removeImage("busybox:latest", force: true) == ["untagged: busybox:latest"])
                #expect(try await f.runtime.images().map(\.reference) == ["<none>"])
                // The container still runs on it: it knows its image by digest.
                try await f.runtime.startContainer(spec.name)
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                await #expect(throws: BerthError.self) { try await f.runtime.createContainer(f.spec("late", ["true"])) }
            }
        }
    }
}
