import Glibc
import HostOS

/// A fresh directory of one test under /tmp, and everything the test puts in
/// it, removed when the test is done with it.
///
/// Two ways to hold one: `withScratchDirectory { scratch in … }` removes it
/// when the body returns or throws, and fails the test when something in it
/// could not go (a mount left below it); a `ScratchDirectory` a fixture
/// keeps is removed by `remove()`, or at the latest when the fixture goes
/// away.
///
/// Removal never crosses into another filesystem or a mount point: a mount
/// a test left inside stays where it is, with the directories that lead to
/// it, and is reported, instead of its contents being deleted through it.
public final class ScratchDirectory: Sendable {
    /// The directory's absolute path, symlinks resolved, without a trailing slash.
    public let path: String

    /// Where every scratch directory is made: /tmp rather than `$TMPDIR`, so
    /// that a unix socket inside one fits the 108 bytes of `sun_path`.
    public static let parent = "/tmp"

    /// Makes `/tmp/<prefix>-XXXXXX`. Prefixes begin with `berth` so that a
    /// person (or a host check) can tell a test's directories from others.
    public init(prefix: String = "berth-test") throws {
        var template = Array("\(Self.parent)/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw TestFailure("cannot make a scratch directory \(Self.parent)/\(prefix)-XXXXXX: \(Self.errnoText())")
        }
        guard let resolved = realpath(made, nil) else {
            let error = TestFailure("cannot resolve \(String(cString: made)): \(Self.errnoText())")
            rmdir(made)
            throw error
        }
        defer { free(resolved) }
        path = String(cString: resolved)
    }

    deinit {
        _ = Self.removeTree(path, mountPoints: Self.mountPoints(under: path))
    }

    /// The absolute path of `relative` inside the directory; an absolute path stays as it is.
    public func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : path + "/" + relative
    }

    /// Writes `bytes` at `relative`, making the directories above it; returns the absolute path.
    @discardableResult
    public func write(_ relative: String, bytes: [UInt8], mode: mode_t = 0o644) throws -> String {
        let full = path(relative)
        if let slash = full.lastIndex(of: "/"), slash != full.startIndex {
            try makeDirectory(String(full[..<slash]))
        }
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw TestFailure("cannot create \(full): \(Self.errnoText())") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw TestFailure("cannot write \(full): \(Self.errnoText())") }
            written += count
        }
        // open(2) applies the umask; the caller asked for exactly `mode`.
        fchmod(fd, mode)
        return full
    }

    /// Writes `text` at `relative`, making the directories above it; returns the absolute path.
    @discardableResult
    public func write(_ relative: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        try write(relative, bytes: Array(text.utf8), mode: mode)
    }

    /// Makes the directory `relative` and those above it (`mkdir -p`); returns the absolute path.
    @discardableResult
    public func makeDirectory(_ relative: String) throws -> String {
        let full = path(relative)
        var current = ""
        for component in full.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw TestFailure("cannot make the directory \(current): \(Self.errnoText())")
            }
        }
        return full
    }

    /// Removes the directory and everything in it; throws, naming them, when
    /// some of it had to stay (a mount point, or what leads to one).
    public func remove() throws {
        let left = Self.removeTree(path, mountPoints: Self.mountPoints(under: path))
        guard left.isEmpty else {
            throw TestFailure("scratch directory \(path) kept, not removed: \(left.joined(separator: ", "))")
        }
    }

    /// The mount points at or below `path`, which removal must not enter.
    private static func mountPoints(under path: String) -> Set<String> {
        Set(((try? Mounts.entries(under: path)) ?? []).map(\.mountPoint))
    }

    /// `rm -r --one-file-system` that also stops at mount points of the same
    /// filesystem (bind mounts); returns what could not be removed.
    private static func removeTree(_ path: String, mountPoints: Set<String>, device: dev_t? = nil) -> [String] {
        var info = stat()
        guard lstat(path, &info) == 0 else { return [] }
        guard !mountPoints.contains(path), device == nil || info.st_dev == device else { return ["mount \(path)"] }
        guard info.st_mode & S_IFMT == S_IFDIR else { return unlink(path) == 0 ? [] : [path] }
        var left: [String] = []
        for name in HostFiles.names(in: path) {
            left += removeTree(path + "/" + name, mountPoints: mountPoints, device: info.st_dev)
        }
        if left.isEmpty && rmdir(path) != 0 { left.append(path) }
        return left
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Runs `body` with a fresh scratch directory, then removes it, also when
/// `body` throws; a directory that could not be removed fails the test.
public func withScratchDirectory<T>(
    prefix: String = "berth-test", _ body: (ScratchDirectory) throws -> T
) throws -> T {
    let scratch = try ScratchDirectory(prefix: prefix)
    let result: T
    do {
        result = try body(scratch)
    } catch {
        try? scratch.remove()
        throw error
    }
    try scratch.remove()
    return result
}

/// Runs `body` with a fresh scratch directory, then removes it, also when
/// `body` throws; a directory that could not be removed fails the test.
public func withScratchDirectory<T>(
    prefix: String = "berth-test", _ body: (ScratchDirectory) async throws -> T
) async throws -> T {
    let scratch = try ScratchDirectory(prefix: prefix)
    let result: T
    do {
        result = try await body(scratch)
    } catch {
        try? scratch.remove()
        throw error
    }
    try scratch.remove()
    return result
}
