import BerthModel
import CLinux
import Glibc

/// The one error HostOS throws: what was being done to which object, and the
/// kernel's answer (errno, and the extended-ack text netlink sometimes adds).
///
/// Its codes are `BerthError`'s, declared in BerthModel with all the others;
/// it keeps the errno and netlink's extended ack, which RuntimeLinux turns
/// into the cause of its own `BerthError`, so `description` is written to
/// be read by a user as is: `netlink: create bridge "berth0a1b": File exists
/// (EEXIST)`.
public struct HostOSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public var code: BerthError.Code
    /// The operation and its object, e.g. `netlink: create bridge "berth0a1b"`.
    public var message: String
    /// The errno the kernel answered, when it answered one.
    public var errno: Int32?
    /// Extra text: netlink's extended ack, or a command's stderr.
    public var detail: String?

    /// An error with every part given.
    public init(_ code: BerthError.Code, _ message: String, errno: Int32? = nil, detail: String? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
        self.detail = detail
    }

    /// `message: strerror (ENAME): detail`, each part only when present.
    public var description: String {
        var text = message
        if let errno { text += ": " + Self.describe(errno: errno) }
        if let detail, !detail.isEmpty { text += ": " + detail }
        return text
    }

    /// `File exists (EEXIST)`: the text users read and the name they search
    /// for. Uses glibc's thread-safe tables rather than strerror's buffer.
    public static func describe(errno value: Int32) -> String {
        let text = berth_errno_description(value).map { String(cString: $0) } ?? "Unknown error \(value)"
        guard let name = berth_errno_name(value) else { return text }
        return "\(text) (\(String(cString: name)))"
    }

    /// A failed system call. `errno` is read by the caller right after the
    /// call: building the message allocates, and malloc may change it.
    static func syscall(_ message: String, errno value: Int32) -> HostOSError {
        HostOSError(.syscall, message, errno: value)
    }

    /// A value refused before any system call.
    static func invalid(_ message: String) -> HostOSError {
        HostOSError(.invalidArgument, message)
    }
}

/// The choke point for C calls: EINTR retries and errno → `HostOSError`.
public enum Syscall {
    /// Calls `body` again while it fails with EINTR (-1 and errno == EINTR).
    ///
    /// Signals interrupt blocking calls (read, waitpid, poll, mount on some
    /// filesystems); SA_RESTART does not cover all of them, and the Swift
    /// runtime does not install handlers with it anyway.
    public static func retrying<T: FixedWidthInteger>(_ body: () -> T) -> T {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// Runs `body` with EINTR retries and throws `message: strerror (ENAME)`
    /// when it returns -1. Returns the call's result otherwise.
    @discardableResult
    public static func check<T: FixedWidthInteger>(
        _ message: @autoclosure () -> String, _ body: () -> T
    ) throws(HostOSError) -> T {
        let result = retrying(body)
        if result == -1 {
            let failure = errno
            throw HostOSError.syscall(message(), errno: failure)
        }
        return result
    }

    /// Adds "close every fd >= `lowest`" to a spawn's file actions (after
    /// its dup2s): a descriptor someone opened without O_CLOEXEC (SwiftNIO
    /// accepts connections without it) must not live on in a child.
    public static func closeFrom(_ lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
        _ = berth_spawn_file_actions_addclosefrom(&actions, lowest)
    }

    /// Closes `fd`, ignoring EINTR: on Linux the descriptor is released even
    /// when close is interrupted, so retrying could close someone else's fd.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Opens `path` with O_CLOEXEC added, so the fd never leaks into a
    /// process spawned concurrently by another thread.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(HostOSError) -> Int32 {
        try check("open \"\(path)\"") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }
}
