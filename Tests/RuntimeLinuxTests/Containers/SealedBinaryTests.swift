import CLinux
import Foundation
import Testing

@_spi(Components) @testable import RuntimeLinux

/// crun run from a sealed in-memory copy: what the kernel says of the copy
/// (the seals are the ones crun and runc check for before they skip
/// copying themselves), and that a program runs from it as itself.
struct SealedBinaryTests {
    @Test func theCopyIsSealedWholeAndRunsUnderItsOwnName() throws {
        let path = try #require(SealedBinary.copy(of: "/bin/echo"))
        #expect(SealedBinary.copy(of: "/bin/echo") == path, "one copy per program")
        #expect(path.hasPrefix("/proc/\(getpid())/fd/"))
        let fd = try #require(Int32(path.split(separator: "/").last ?? ""))
        // F_GET_SEALS (1034): seal, shrink, grow and write (1|2|4|8), the set crun checks for.
        #expect(fcntl(fd, 1034) == 15)
        #expect(FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: "/bin/echo"))
        let output = try ChildProcess.run(["/bin/echo", "sealed"], executable: path)
        #expect(output.status == 0 && output.stdout == Array("sealed\n".utf8))
        #expect(SealedBinary.copy(of: "/nonexistent/crun") == nil)
    }
}

/// Where an exec's files go: a tmpfs directory no one but root may enter.
struct ExecRunDirectoryTests {
    @Test func isOnATmpfsAndRootsAlone() throws {
        let directory = try #require(ContainerDriver.runDirectory())
        #expect(berth_is_tmpfs(directory) == 1)
        var info = stat()
        #expect(lstat(directory, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o700 && info.st_uid == geteuid())
    }
}
