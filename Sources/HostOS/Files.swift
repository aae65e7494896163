import Glibc

/// The few file operations every store of berthd needs, straight over libc
/// and each written once: what is at a path, `mkdir -p`, the names in a
/// directory, a file written whole.
///
/// `kind` uses lstat: state directories hold input (an image's layers, a
/// volume's data), and a symlink there must never lead a check, a read or
/// a delete somewhere else.
public enum Files {
    /// What is at a path, without following a final symlink.
    public enum Kind: Hashable, Sendable {
        case missing, regular, directory, symlink, socket, other
    }

    /// What is at `path`; `missing` when lstat fails for any reason (a
    /// parent that is a file, a permission), since nothing usable is there.
    public static func kind(_ path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFSOCK: return .socket
        default: return .other
        }
    }

    /// Creates `path` and its missing parents, each new one with `mode`,
    /// like `mkdir -p`: existing directories are left as they are, and
    /// something else in the place of `path` is an error (EEXIST).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(HostOSError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if Glibc.mkdir(prefix, mode) == 0 { continue }
            let failure = errno
            if failure == EEXIST { continue }
            throw HostOSError.syscall("mkdir \"\(prefix)\"", errno: failure)
        }
        // stat, not lstat: a state directory may be a symlink to another disk.
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw HostOSError.syscall("mkdir \"\(path)\"", errno: EEXIST)
        }
    }

    /// The names in `directory`, without `.` and `..`, sorted.
    public static func names(in directory: String) throws(HostOSError) -> [String] {
        var names: [String] = []
        try forEachName(in: directory) { name in
            names.append(name)
            return true
        }
        return names.sorted()
    }

    /// Whether `directory` holds nothing but `.` and `..`; stops at the
    /// first entry, so a volume of a million files costs one read.
    public static func isEmptyDirectory(_ directory: String) throws(HostOSError) -> Bool {
        var empty = true
        try forEachName(in: directory) { _ in
            empty = false
            return false
        }
        return empty
    }

    /// Writes `bytes` to `path`, created with `mode` (less the umask) or
    /// truncated. With `exclusive` the file must not exist yet; with `sync`
    /// the bytes are on the disk when this returns.
    public static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o644, exclusive: Bool = false, sync: Bool = false
    ) throws(HostOSError) {
        let fd = try Syscall.open(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC), mode: mode)
        defer { Syscall.close(fd) }
        var offset = 0
        while offset < bytes.count {
            offset += try Syscall.check("write \"\(path)\"") {
                bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            }
        }
        if sync { try Syscall.check("fsync \"\(path)\"") { fsync(fd) } }
    }

    /// Flushes a directory's entries, so a rename or a create in it survives
    /// a crash. Best effort: what was renamed is in place either way.
    public static func syncDirectory(_ directory: String) {
        guard let fd = try? Syscall.open(directory, O_RDONLY | O_DIRECTORY) else { return }
        fsync(fd)
        Syscall.close(fd)
    }

    /// Calls `body` with each name in `directory` but `.` and `..`, in the
    /// directory's order, until it returns false.
    private static func forEachName(in directory: String, _ body: (String) -> Bool) throws(HostOSError) {
        guard let stream = opendir(directory) else {
            let failure = errno
            throw HostOSError.syscall("list \"\(directory)\"", errno: failure)
        }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            if !body(name) { return }
        }
    }
}
