import Glibc

/// One line of /proc/self/mountinfo.
public struct MountEntry: Hashable, Sendable, CustomStringConvertible {
    /// The mount's unique id (reused after unmount).
    public var id: Int
    /// The id of the mount it sits on.
    public var parentID: Int
    /// The path inside the source filesystem that is mounted (for a bind
    /// mount of a subdirectory, that subdirectory; for nsfs, `net:[4026…]`).
    public var root: String
    /// Where it is mounted, relative to the process's root.
    public var mountPoint: String
    /// Per-mount options (`rw,nosuid,…`).
    public var options: String
    /// The filesystem type (`overlay`, `nsfs`, `tmpfs`, …).
    public var fsType: String
    /// The source (`overlay`, `/dev/vda1`, `nsfs`, …).
    public var source: String

    /// A mount entry.
    public init(
        id: Int, parentID: Int, root: String, mountPoint: String, options: String, fsType: String, source: String
    ) {
        self.id = id
        self.parentID = parentID
        self.root = root
        self.mountPoint = mountPoint
        self.options = options
        self.fsType = fsType
        self.source = source
    }

    /// `mountPoint (fsType from source)`.
    public var description: String { "\(mountPoint) (\(fsType) from \(source))" }
}

/// mount(2) and umount2(2) with errors that name the paths, and a reader of
/// the mount table. Glibc's module imports both calls as they are; these
/// wrappers exist for the errors and the EINTR retry, not for access.
public enum Mounts {
    /// mount(2). `type` and `data` are nil for bind mounts and remounts.
    public static func mount(
        _ source: String, on target: String, type: String? = nil, flags: UInt = 0, data: String? = nil
    ) throws {
        let what = "mount \"\(source)\" on \"\(target)\"" + (type.map { " (\($0))" } ?? "")
        try Syscall.check(what) {
            withOptionalCString(type) { type in
                withOptionalCString(data) { data in Glibc.mount(source, target, type, flags, data) }
            }
        }
    }

    /// A bind mount of `source` on `target`; `recursive` takes the mounts
    /// below `source` along (MS_REC), as `mount --rbind` does.
    public static func bind(_ source: String, on target: String, recursive: Bool = false) throws {
        try mount(source, on: target, flags: UInt(MS_BIND) | (recursive ? UInt(MS_REC) : 0))
    }

    /// umount2(2). `detach` (MNT_DETACH) unmounts now and lets busy users
    /// keep their view until they leave, which teardown wants: an EBUSY
    /// would otherwise stop `down` on the first stray shell.
    public static func unmount(_ target: String, detach: Bool = false) throws {
        try Syscall.check("unmount \"\(target)\"") { umount2(target, detach ? Int32(MNT_DETACH) : 0) }
    }

    /// The mounts at or below `prefix`, in mount order (unmount them in
    /// reverse so children go before their parents).
    ///
    /// `prefix` is compared by path components: `/var/lib/berth` covers
    /// `/var/lib/berth/x`, not `/var/lib/berthold`.
    public static func entries(under prefix: String) throws -> [MountEntry] {
        select(parse(mountinfo: try readFile("/proc/self/mountinfo")), under: prefix)
    }

    /// The entries at or below `prefix`, by whole path components.
    static func select(_ entries: [MountEntry], under prefix: String) -> [MountEntry] {
        let trimmed = prefix.count > 1 && prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        let below = trimmed == "/" ? "/" : trimmed + "/"
        return entries.filter { $0.mountPoint == trimmed || $0.mountPoint.hasPrefix(below) }
    }

    /// Parses mountinfo text (proc(5)): `id parent major:minor root point
    /// options [optional fields…] - fstype source superoptions`. The number
    /// of optional fields varies, hence the search for the lone `-`.
    static func parse(mountinfo text: String) -> [MountEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count >= 10, let id = Int(fields[0]), let parent = Int(fields[1]),
                let separator = fields[6...].firstIndex(of: "-"), separator + 2 < fields.count
            else { return nil }
            return MountEntry(
                id: id, parentID: parent, root: unescape(fields[3]), mountPoint: unescape(fields[4]),
                options: String(fields[5]), fsType: unescape(fields[separator + 1]),
                source: unescape(fields[separator + 2]))
        }
    }

    /// The kernel writes space, tab, newline and backslash in paths as
    /// three-digit octal escapes (`\040`) so that fields stay split on
    /// spaces.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var input = Array(field.utf8)[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "\\"), input.count >= 3,
                let value = UInt8(String(decoding: input.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                input = input.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a whole file with read(2) (proc files report size 0, so the
    /// length cannot come from stat).
    static func readFile(_ path: String) throws -> String {
        let fd = try Syscall.open(path, O_RDONLY)
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = try Syscall.check("read \"\(path)\"") {
                chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }
}
