import BerthModel
import CLinux
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Unix stream sockets by path, for the terminal plumbing: crun's console
/// socket, which receives a pty's master, and the shim's attach socket.
///
/// A container's directory can be deeper than the 107 bytes a socket path
/// may have, so paths go through `/proc/self/fd/<dir>/name`: the kernel
/// resolves the directory descriptor, and the name is all that remains.
enum UnixSocket {
    /// A short path naming `name` in `directory` for this process, and for
    /// others (crun) through `/proc/<pid>`, valid while `directoryFD` is open.
    struct ShortPath {
        let directoryFD: Int32
        let name: String
        var local: String { "/proc/self/fd/\(directoryFD)/\(name)" }
        var forOthers: String { "/proc/\(getpid())/fd/\(directoryFD)/\(name)" }

        init(directory: String, name: String) throws {
            let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw BerthError.system("opening \(directory)", errno: errno) }
            directoryFD = fd
            self.name = name
        }

        func close() { _ = Glibc.close(directoryFD) }
    }

    /// A socket listening at `path` (which must not exist).
    static func listen(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError.system("socket for \(path)", errno: errno) }
        let rc = withAddress(path) { bind(fd, $0, $1) }
        guard rc == 0, Glibc.listen(fd, 4) == 0 else {
            let err = errno
            _ = close(fd)
            throw BerthError.system("listening on \(path)", errno: err)
        }
        return fd
    }

    /// A socket connected to `path`.
    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError.system("socket for \(path)", errno: errno) }
        let rc = withAddress(path) { Glibc.connect(fd, $0, $1) }
        guard rc == 0 else {
            let err = errno
            _ = close(fd)
            throw BerthError.system("connecting to \(path)", errno: err)
        }
        return fd
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Waits up to `timeout` milliseconds for `fd` to be readable, or for
    /// `alsoWatching` (crun's stderr: its end means crun gave up) to be.
    /// True when `fd` is readable.
    static func waitReadable(_ fd: Int32, alsoWatching other: Int32, timeout: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: other, events: 0, revents: 0)]
        while true {
            let n = poll(&fds, 2, timeout)
            if n < 0 && errno == EINTR { continue }
            return n > 0 && fds[0].revents != 0
        }
    }

    /// Accepts one connection on `listener` and receives the descriptor it
    /// carries (crun's console socket protocol).
    static func receiveDescriptor(listener: Int32) throws -> Int32 {
        // accept4 is hidden by Glibc's module; nothing is spawned between
        // here and the close below without closing every other descriptor.
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw BerthError.system("accepting on a console socket", errno: errno) }
        defer { _ = close(connection) }
        return try receiveDescriptor(connection: connection)
    }

    /// Reads one byte from `connection` and the descriptor that came with it.
    static func receiveDescriptor(connection: Int32) throws -> Int32 {
        var fd: Int32 = -1
        let n = berth_recv_fd(connection, &fd)
        guard n > 0, fd >= 0 else {
            let cause = n < 0 ? String(cString: strerror(errno)) : nil
            throw BerthError(.runtime, "no terminal descriptor was received", cause: cause)
        }
        return fd
    }
}
