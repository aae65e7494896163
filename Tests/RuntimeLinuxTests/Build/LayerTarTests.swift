import BerthModel
import Foundation
import HostOS
import Registry
import TestSupport
import Testing

@testable import RuntimeLinux

#if canImport(Glibc)
import Glibc
#endif

/// The layer tars the builder writes, read back by GNU tar.
@Suite struct LayerTarTests {
    private func tar(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func filesLinksAndLongNamesReadBackAsWritten() throws {
        let scratch = try ScratchDirectory()
        let long = String(repeating: "d", count: 90) + "/" + String(repeating: "f", count: 60)
        _ = try scratch.write("layer/etc/app.conf", "conf\n")
        _ = try scratch.write("layer/" + long, "deep\n", mode: 0o600)
        #expect(link(scratch.path("layer/etc/app.conf"), scratch.path("layer/etc/again.conf")) == 0)
        #expect(symlink("app.conf", scratch.path("layer/etc/current")) == 0)
        let (digest, size) = try LayerTarWriter.write(scratch.path("layer"), to: scratch.path("out.tar"), what: "test")
        let (hashed, hashedSize) = try FileOps.hash(scratch.path("out.tar"), what: "test")
        #expect(digest == hashed && size == hashedSize)
        let listing = try tar(["-tvf", scratch.path("out.tar")])
        #expect(listing.contains("etc/app.conf link to etc/again.conf"), "\(listing)")
        #expect(listing.contains("etc/current -> app.conf"), "\(listing)")
        _ = try scratch.makeDirectory("out")
        _ = try tar(["-xf", scratch.path("out.tar"), "-C", scratch.path("out")])
        #expect(try String(contentsOfFile: scratch.path("out/" + long), encoding: .utf8) == "deep\n")
        #expect(try String(contentsOfFile: scratch.path("out/etc/again.conf"), encoding: .utf8) == "conf\n")
    }

    @Test(.requiresRoot("whiteout devices need root"))
    func whiteoutsAndOpaqueDirectoriesBecomeTheirTarForm() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.makeDirectory("layer/opt/d")
        _ = try scratch.write("layer/opt/d/new", "n\n")
        #expect(mknod(scratch.path("layer/opt/gone"), S_IFCHR, 0) == 0)
        try Xattr.set(scratch.path("layer/opt/d"), Whiteouts.opaqueXattr, [UInt8(ascii: "y")], what: "test")
        _ = try LayerTarWriter.write(scratch.path("layer"), to: scratch.path("out.tar"), what: "test")
        let names = try tar(["-tf", scratch.path("out.tar")]).split(separator: "\n").map(String.init)
        #expect(names == ["opt/", "opt/d/", "opt/d/.wh..wh..opq", "opt/d/new", "opt/.wh.gone"], "\(names)")
    }
}
