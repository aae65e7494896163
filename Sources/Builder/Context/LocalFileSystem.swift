import BerthModel
import Crypto
import Glibc
import Synchronization

/// The host's files, read with libc. Digests are remembered by each file's
/// change stamp, so a rebuild hashes only the files that changed.
public final class LocalFileSystem: ContextFileSystem {
    private let digests = Mutex<[String: (stamp: [Int64], digest: String)]>([:])

    public init() {}

    public func entry(at path: String) throws(BerthError) -> FileEntry? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw Self.failure("cannot read", path)
        }
        let kind: FileEntry.Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink(target: try linkTarget(path, size: Int(info.st_size)))
        default: kind = .other
        }
        let stamp = [
            Int64(info.st_dev), Int64(info.st_ino), Int64(info.st_size),
            Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
        ]
        return FileEntry(
            kind: kind, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid,
            size: Int64(info.st_size), changeStamp: stamp)
    }

    public func names(in path: String) throws(BerthError) -> [String] {
        guard let directory = opendir(path) else { throw Self.failure("cannot list", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    public func contents(of path: String) throws(BerthError) -> [UInt8] {
        var bytes: [UInt8] = []
        try read(path) { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }

    public func digest(of path: String, entry: FileEntry) throws(BerthError) -> String {
        if let known = digests.withLock({ $0[path] }), known.stamp == entry.changeStamp, !entry.changeStamp.isEmpty {
            return known.digest
        }
        var hasher = SHA256()
        try read(path) { chunk in hasher.update(data: chunk) }
        let digest = "sha256:" + DigestWriter.hex(hasher.finalize())
        digests.withLock { $0[path] = (entry.changeStamp, digest) }
        return digest
    }

    private func read(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(BerthError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("cannot open", path) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.failure("cannot read", path) }
            if count == 0 { return }
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    private func linkTarget(_ path: String, size: Int) throws(BerthError) -> String {
        var buffer = [CChar](repeating: 0, count: max(size, 255) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw Self.failure("cannot read the link", path) }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func failure(_ what: String, _ path: String) -> BerthError {
        BerthError(.buildContext, "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
