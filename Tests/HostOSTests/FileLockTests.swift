import Glibc
import HostOS
import TestSupport
import Testing

/// berthd's root lock: one holder at a time, released with its holder.
struct FileLockTests {
    @Test func aSecondHolderIsRefusedUntilTheFirstGoes() throws {
        try withScratchDirectory(prefix: "berth-lock") { directory in
            let path = directory.path + "/berthd.lock"
            var first = try FileLock.acquire(path)
            #expect(first != nil)
            // Another open file description: as a second berthd's would be.
            #expect(try FileLock.acquire(path) == nil)
            #expect(FileLock.holder(of: path) == getpid())
            first = nil
            #expect(try FileLock.acquire(path) != nil)
        }
    }

    @Test func theLockFileIsPrivateAndNotInherited() throws {
        try withScratchDirectory(prefix: "berth-lock") { directory in
            let path = directory.path + "/berthd.lock"
            let lock = try #require(try FileLock.acquire(path))
            var info = stat()
            #expect(lstat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            // Close-on-exec: a shim berthd starts must not keep the root locked.
            let descriptors = try Files.names(in: "/proc/self/fd").compactMap { Int32($0) }
            let locked = descriptors.filter { fd in
                (try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) != nil
                    && readlink(fd) == path
            }
            #expect(locked.count == 1)
            for fd in locked { #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0) }
            withExtendedLifetime(lock) {}
        }
    }

    private func readlink(_ fd: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = Glibc.readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }
}
