import BerthModel
import Foundation
import HostOS
import Registry
import Testing

@testable import RuntimeLinux

#if canImport(Glibc)
import Glibc
#endif

/// The image store as a pull's destination, driven as the registry client
/// drives it: a layer's tar stream unpacks while it arrives, and only a
/// commit gives blob and layer their names; a discarded one leaves nothing.
@Suite(.requiresRoot("unpacking layers needs root"))
struct PullDestinationTests {
    /// Streams `tar` into an unpacker in small pieces, as the inflater would.
    static func stream(_ bytes: [UInt8], into unpacker: any LayerUnpacker) throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 1000)
            try bytes[offset..<end].withUnsafeBytes { try unpacker.write($0) }
            offset = end
        }
    }

    @Test func aCommittedLayerIsUnpackedUnderItsDiffID() throws {
        try ImageFixture.with { fixture in
            try fixture.write("layer/etc/hello", "hello\n")
            try fixture.write("layer/etc/.wh.gone", "")
            let tar = try fixture.tar("layer", to: "layer.tar")
            let bytes = try fixture.bytes(tar)
            let descriptor = Registry.Descriptor(
                mediaType: Registry.MediaType.ociLayer, digest: Digest(of: bytes), size: Int64(bytes.count))
            let destination = fixture.store.pullDestination
            #expect(!destination.has(descriptor.digest))
            let staged = try destination.stagingPath(for: descriptor)
            try FileOps.write(bytes, to: staged)
            let unpacker = try #require(try destination.unpacker(for: descriptor))
            try Self.stream(bytes, into: unpacker)
            try unpacker.finish()
            try destination.commit(descriptor, verifiedFile: staged, unpacker: unpacker)
            #expect(destination.has(descriptor.digest))
            let layer = fixture.storeRoot + "/layers/" + Digest(of: bytes).hex
            #expect(try String(contentsOfFile: layer + "/etc/hello", encoding: .utf8) == "hello\n")
            // The whiteout is in overlay form: a 0/0 character device.
            let gone = try #require(fileInfo(layer + "/etc/gone"))
            #expect(gone.st_mode & S_IFMT == S_IFCHR)
            #expect(try fixture.leftovers().isEmpty)
        }
    }

    @Test func aDiscardedLayerLeavesNothing() throws {
        try ImageFixture.with { fixture in
            try fixture.write("layer/a", "a\n")
            let bytes = try fixture.bytes(try fixture.tar("layer", to: "layer.tar"))
            let descriptor = Registry.Descriptor(
                mediaType: Registry.MediaType.ociLayer, digest: Digest(of: bytes), size: Int64(bytes.count))
            let destination = fixture.store.pullDestination
            let unpacker = try #require(try destination.unpacker(for: descriptor))
            try Self.stream(Array(bytes.prefix(bytes.count / 2)), into: unpacker)
            unpacker.discard()
            #expect(try fixture.leftovers().isEmpty)
            #expect(try fixture.layerCount() == 0)
        }
    }

    @Test func aTarThatIsNotOneFailsAtFinish() throws {
        try ImageFixture.with { fixture in
            let bytes = [UInt8](repeating: 0x41, count: 4096)
            let descriptor = Registry.Descriptor(
                mediaType: Registry.MediaType.ociLayer, digest: Digest(of: bytes), size: Int64(bytes.count))
            let unpacker = try #require(try fixture.store.pullDestination.unpacker(for: descriptor))
            var failed = false
            do {
                try Self.stream(bytes, into: unpacker)
                try unpacker.finish()
            } catch {
                failed = true
                let line = (error as? BerthError)?.line ?? "\(error)"
                #expect(line.contains("layer \(descriptor.digest)"), "\(line)")
            }
            #expect(failed)
            unpacker.discard()
            #expect(try fixture.leftovers().isEmpty)
        }
    }
}
