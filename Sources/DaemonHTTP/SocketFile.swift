import BerthModel
import DaemonAPI
import HostOS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The socket's file on disk: its directory, a stale file left by a berthd
/// that died, its mode, and removing it again. The one place where the
/// server calls libc, so every failure becomes a `BerthError` naming the
/// path and errno's text.
enum SocketFile {
    /// The inode the listener was bound to, so that `shutdown` removes its
    /// own file and not the socket of a berthd started after it.
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// What is at the socket's path before binding.
    enum Probe: Equatable {
        case absent
        /// A socket file nobody listens on: a berthd died without removing it.
        case stale
        /// A socket that accepts connections.
        case answering
        /// A file, a directory, …: not ours to remove.
        case notSocket
    }

    /// Creates the missing directories above `path`, each with mode 0700
    /// (the socket inside is the daemon's only door). Existing ones are left
    /// as they are.
    static func createParentDirectory(of path: String) throws(BerthError) {
        let directory = parent(of: path)
        guard !directory.isEmpty else { return }
        do {
            try Files.makeDirectories(directory, mode: 0o700)
        } catch {
            throw BerthError(.daemonSocket, "creating socket directory \(directory)", cause: error.description)
        }
    }

    /// Looks at `path`: a connect without blocking tells a live listener
    /// (connected, or EAGAIN when its backlog is full) from a stale file
    /// (ECONNREFUSED).
    static func probe(_ path: String) throws(BerthError) -> Probe {
        switch Files.kind(path) {
        case .missing: return .absent
        case .socket: break
        default: return .notSocket
        }
        let descriptor = socket(AF_UNIX, nonBlockingStreamType, 0)
        guard descriptor >= 0 else { throw failure("probing socket \(path): socket") }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw BerthError(
                .daemonSocket,
                "socket path \(path) is longer than \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .answering }
        switch errno {
        case ECONNREFUSED: return .stale
        case EAGAIN, EINPROGRESS: return .answering
        default: throw failure("probing socket \(path): connect")
        }
    }

    /// Removes the file at `path`; gone already is fine.
    static func remove(_ path: String) throws(BerthError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("removing socket \(path)") }
    }

    /// Whether a failed bind found the path taken.
    static func isAddressInUse(_ code: Int32) -> Bool { code == EADDRINUSE }

    /// Sets the mode of the bound socket. Until then it has the mode the
    /// umask left, usually 0755: connecting needs write permission, so no
    /// other user can connect in between either.
    static func restrict(_ path: String) throws(BerthError) {
        guard chmod(path, 0o600) == 0 else { throw failure("setting mode 0600 on socket \(path)") }
    }

    /// The device and inode of `path`; nil when it is gone.
    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func failure(_ operation: String) -> BerthError {
        let code = errno
        return BerthError(.daemonSocket, operation, cause: HostOSError.describe(errno: code))
    }

    // Glibc imports the socket types as an enum, Musl as plain integers.
    #if canImport(Glibc)
    private static let nonBlockingStreamType = Int32(
        SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
    #else
    private static let nonBlockingStreamType = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC
    #endif
}
