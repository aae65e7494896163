import Glibc

/// An exclusive `flock(2)` on a file, held from `acquire` until the object
/// goes (or the process ends: the kernel drops the lock with the last
/// descriptor, so a `kill -9` never leaves it held). berthd holds one on
/// its root for its whole life, so that two daemons never adopt, tear down
/// or write the same containers.
///
/// The descriptor is close-on-exec: a shim or crun started while the lock
/// is held must not keep it after berthd has gone.
public final class FileLock: Sendable {
    /// The locked file.
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { Syscall.close(descriptor) }

    /// Takes the lock on `path` (created with `mode` when missing) without
    /// waiting, and writes this process's pid into the file for whoever
    /// finds it taken; nil when another process holds it.
    public static func acquire(_ path: String, mode: mode_t = 0o600) throws(HostOSError) -> FileLock? {
        let descriptor = try Syscall.open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode: mode)
        if Syscall.retrying({ flock(descriptor, LOCK_EX | LOCK_NB) }) != 0 {
            let failure = errno
            Syscall.close(descriptor)
            if failure == EWOULDBLOCK { return nil }
            throw HostOSError.syscall("flock \(path)", errno: failure)
        }
        let lock = FileLock(path: path, descriptor: descriptor)
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return lock
    }

    /// The pid written in the lock file at `path` by the process that holds
    /// it, when it can be read.
    public static func holder(of path: String) -> Int32? {
        guard let bytes = try? AtomicFile.read(path) else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingWhitespace())
    }
}
