import CLinux
import Glibc

/// A persistent network namespace: a file that a bind mount of the
/// namespace's nsfs inode keeps alive, as `ip netns add` makes under
/// /run/netns. crun joins it by path (the OCI spec's `linux.namespaces[].path`)
/// and a restarted berthd finds it again by name.
///
/// A namespace lives while anything refers to it: a process inside, an open
/// fd, or such a mount. The thread that creates it exits at once, so the
/// mount is what keeps it.
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// A namespace's file name: it becomes a path component, so it may not
    /// be empty, `.`, `..`, or contain `/` or NUL.
    public struct Name: Hashable, Sendable, CustomStringConvertible {
        /// The file name.
        public let rawValue: String

        /// A name, or nil when it could escape its directory.
        public init?(_ rawValue: String) {
            guard !rawValue.isEmpty, rawValue != ".", rawValue != "..", rawValue.utf8.count <= 255,
                !rawValue.utf8.contains(UInt8(ascii: "/")), !rawValue.utf8.contains(0)
            else { return nil }
            self.rawValue = rawValue
        }

        /// The file name.
        public var description: String { rawValue }
    }

    /// The namespace file.
    public let path: String

    /// An existing namespace file (nothing is checked until it is used).
    public init(path: String) { self.path = path }

    /// The path.
    public var description: String { path }

    /// Creates `<directory>/<name>` (and the directory), a new network
    /// namespace bound to it, with `lo` up inside.
    ///
    /// On a dedicated thread: `unshare(CLONE_NEWNET)` moves that thread
    /// alone into a fresh namespace; binding /proc/self/task/<tid>/ns/net
    /// onto the file pins it (/proc/self/ns/net would name the thread-group
    /// leader's namespace, i.e. the host's); a netlink socket opened on that
    /// thread lives in the new namespace and brings `lo` up; then the thread
    /// exits and takes the namespace membership with it.
    public static func create(_ name: Name, in directory: String) throws -> NetworkNamespace {
        let namespace = NetworkNamespace(path: directory + "/" + name.rawValue)
        let what = "create network namespace \"\(namespace.path)\""
        try Files.makeDirectories(directory)
        // The mount target must exist; O_EXCL makes two creators of one name
        // collide here rather than stack two mounts on one file.
        let fd = try Syscall.check(what) {
            Glibc.open(namespace.path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        }
        Syscall.close(fd)
        do {
            try DedicatedThread.runBlocking {
                try Syscall.check("\(what): unshare") { berth_unshare(Int32(BERTH_CLONE_NEWNET)) }
                let source = "/proc/self/task/\(berth_gettid())/ns/net"
                try Mounts.bind(source, on: namespace.path)
                // A new namespace's loopback starts down, and with it
                // 127.0.0.1: bring it up before anything runs inside.
                try RTNetlink().setLink(.loopback, up: true)
            }
        } catch {
            _ = umount2(namespace.path, Int32(MNT_DETACH))
            _ = unlink(namespace.path)
            throw error
        }
        return namespace
    }

    /// Opens the namespace file for the duration of `body`.
    public func withFileDescriptor<T>(_ body: (Int32) throws -> T) throws -> T {
        let fd = try Syscall.open(path, O_RDONLY)
        defer { Syscall.close(fd) }
        return try body(fd)
    }

    /// Runs `body` inside the namespace on a dedicated thread that setns'
    /// into it and exits afterwards; the caller blocks until it is done.
    /// See `DedicatedThread` for why the caller's thread never enters.
    public func runBlocking<T>(_ body: () throws -> T) throws -> T {
        try withFileDescriptor { fd in
            try DedicatedThread.runBlocking {
                try enter(fd)
                return try body()
            }
        }
    }

    /// `runBlocking`, suspending the task instead of blocking its thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let fd = try Syscall.open(path, O_RDONLY)
        defer { Syscall.close(fd) }
        return try await DedicatedThread.run { [self] in
            try self.enter(fd)
            return try body()
        }
    }

    /// A netlink socket that lives in this namespace: it stays bound to the
    /// namespace it was opened in, so one short thread hop buys a socket
    /// every later request can use from any thread.
    public func netlink() throws -> RTNetlink {
        try runBlocking { try RTNetlink() }
    }

    /// `netlink()` for a namespace already open at `fd`.
    static func netlink(fd: Int32, path: String) throws -> RTNetlink {
        let namespace = NetworkNamespace(path: path)
        return try DedicatedThread.runBlocking {
            try namespace.enter(fd)
            return try RTNetlink()
        }
    }

    /// Unmounts and removes the file. MNT_DETACH because a process may still
    /// have the mount busy (`ip netns exec` leaves a shell there); the
    /// namespace itself dies when its last user does.
    ///
    /// The kernel destroys a namespace asynchronously (cleanup_net runs on
    /// a workqueue): interfaces still inside, and the host ends of their veth
    /// pairs, may outlive this call briefly (this returns in ~40 µs, a veth
    /// delete takes ~20 ms). Delete host veths explicitly when their names
    /// must be free again at once.
    ///
    /// Copies of the mount in other mount namespaces (a process that
    /// unshared CLONE_NEWNS after we mounted) do not block this: since
    /// Linux 3.18 unlinking a mount point detaches it everywhere else.
    public func delete() throws {
        let what = "delete network namespace \"\(path)\""
        if Syscall.retrying({ umount2(path, Int32(MNT_DETACH)) }) == -1 {
            let failure = errno
            switch failure {
            case EINVAL: break  // Not a mount point (a half-made namespace): still unlink.
            case ENOENT: throw HostOSError.syscall(what, errno: failure)
            default: throw HostOSError.syscall("\(what): unmount", errno: failure)
            }
        }
        try Syscall.check("\(what): unlink") { unlink(path) }
    }

    /// The names of the namespace files in `directory` (none if it is
    /// missing), for a teardown that finds what a crash left behind.
    public static func names(in directory: String) throws -> [Name] {
        do throws(HostOSError) {
            return try Files.names(in: directory).compactMap(Name.init)
        } catch let error where error.errno == ENOENT {
            return []
        } catch {
            throw HostOSError(error.code, "list network namespaces in \"\(directory)\"", errno: error.errno)
        }
    }

    private func enter(_ fd: Int32) throws {
        try Syscall.check("enter network namespace \"\(path)\"") { berth_setns(fd, Int32(BERTH_CLONE_NEWNET)) }
    }
}
