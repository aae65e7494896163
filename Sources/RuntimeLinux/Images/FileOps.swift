import BerthModel
import Glibc
import HostOS
import Registry

import struct Crypto.SHA256

/// The file operations the store needs, straight over libc or through
/// HostOS's `Files` with the store's errors: `lstat` rather than `stat`
/// everywhere, because an archive is input and a symlink in it must never
/// lead a read or a delete outside the tree it came in.
enum FileOps {
    /// The text of the current `errno`.
    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// `mkdir -p`, each new directory with `mode`.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(BerthError) {
        do {
            try Files.makeDirectories(path, mode: mode)
        } catch {
            throw BerthError(.io, "cannot create directory \(path)", wrapping: error)
        }
    }

    /// A new, empty, private directory `<parent>/<prefix>XXXXXX`.
    static func makeTemporaryDirectory(in parent: String, prefix: String) throws(BerthError) -> String {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
        }
        guard made else {
            throw BerthError(.io, "cannot create a temporary directory in \(parent)", cause: errnoText())
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A path for a new file in `parent` that nothing else uses.
    static func temporaryFile(in parent: String, prefix: String) throws(BerthError) -> String {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw BerthError(.io, "cannot create a temporary file in \(parent)", cause: errnoText()) }
        close(fd)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names in a directory, without `.` and `..`, sorted.
    static func list(_ path: String) throws(BerthError) -> [String] {
        do {
            return try Files.names(in: path)
        } catch {
            throw BerthError(.io, "cannot list directory \(path)", wrapping: error)
        }
    }

    /// Deletes a tree without following symlinks; best effort, as teardown must keep going.
    /// Returns whether nothing is left.
    @discardableResult
    static func removeTree(_ path: String) -> Bool {
        switch Files.kind(path) {
        case .missing:
            return true
        case .directory:
            // A read-only directory (0555 in an image) cannot lose entries otherwise.
            chmod(path, 0o700)
            for name in (try? list(path)) ?? [] { removeTree(path + "/" + name) }
            return rmdir(path) == 0
        default:
            return unlink(path) == 0
        }
    }

    /// `rename(2)`, with an error naming both ends.
    static func rename(_ from: String, _ to: String) throws(BerthError) {
        guard Glibc.rename(from, to) == 0 else {
            throw BerthError(.io, "cannot rename \(from) to \(to)", cause: errnoText())
        }
    }

    /// Replaces `path` with `bytes` durably (`AtomicFile.write`), the
    /// temporary file in `temporaryDirectory`, which the store sweeps at
    /// start. Mode 0600, as every file of the store.
    static func writeAtomically(_ bytes: [UInt8], to path: String, temporaryDirectory: String) throws(BerthError) {
        do {
            try AtomicFile.write(bytes, to: path, mode: 0o600, durable: true, temporaryDirectory: temporaryDirectory)
        } catch {
            throw BerthError(.io, "cannot write \(path)", wrapping: error)
        }
    }

    /// Writes `bytes` to `path` (created or truncated, mode 0644) and flushes them.
    static func write(_ bytes: [UInt8], to path: String) throws(BerthError) {
        do {
            try Files.write(bytes, to: path, sync: true)
        } catch {
            throw BerthError(.io, "cannot write \(path)", wrapping: error)
        }
    }

    /// A whole small file (JSON), refusing anything larger than `limit` bytes:
    /// a manifest is input, and a huge one must not exhaust memory.
    static func read(_ path: String, limit: Int = 16 << 20, what: String) throws(BerthError) -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk(path, what: what) { (chunk: UnsafeRawBufferPointer) throws(BerthError) in
            bytes.append(contentsOf: chunk)
            if bytes.count > limit {
                throw BerthError(.invalidArchive, "\(what) at \(path) is larger than \(limit >> 20) MiB")
            }
        }
        return bytes
    }

    /// The first `count` bytes of a file (fewer if it is shorter).
    static func prefix(_ path: String, count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, count) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// The sha256 and size of a file, read in chunks; when `copy` is given,
    /// the bytes are also written there, so a blob is hashed as it is copied.
    static func hash(_ path: String, copyTo copy: String? = nil, what: String) throws(BerthError) -> (Digest, Int64) {
        var out: Int32 = -1
        if let copy {
            out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard out >= 0 else { throw BerthError(.io, "cannot create \(copy)", cause: errnoText()) }
        }
        defer { if out >= 0 { close(out) } }
        var hasher = SHA256()
        var size: Int64 = 0
        try forEachChunk(path, what: what) { (chunk: UnsafeRawBufferPointer) throws(BerthError) in
            hasher.update(bufferPointer: chunk)
            size += Int64(chunk.count)
            guard out >= 0, let base = chunk.baseAddress else { return }
            var offset = 0
            while offset < chunk.count {
                let n = Glibc.write(out, base + offset, chunk.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BerthError(.io, "cannot write \(copy ?? "")", cause: errnoText())
                }
                offset += n
            }
        }
        if out >= 0, fsync(out) != 0 { throw BerthError(.io, "cannot flush \(copy ?? "")", cause: errnoText()) }
        return (Digest(hasher.finalize()), size)
    }

    /// Calls `body` with each chunk of a regular file.
    private static func forEachChunk(
        _ path: String, what: String, _ body: (UnsafeRawBufferPointer) throws(BerthError) -> Void
    ) throws(BerthError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw BerthError(.io, "cannot open \(what) at \(path)", cause: errnoText()) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return }
            if n < 0 {
                if errno == EINTR { continue }
                throw BerthError(.io, "cannot read \(what) at \(path)", cause: errnoText())
            }
            // `withUnsafeBytes` rethrows untyped errors; carry ours out by hand.
            let failure = buffer.withUnsafeBytes { all -> BerthError? in
                do throws(BerthError) {
                    try body(UnsafeRawBufferPointer(rebasing: all[0..<n]))
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
        }
    }

    /// `root/relative` when every component is a real directory and the last a
    /// regular file: no `..`, no absolute path, no symlink anywhere. Archives
    /// name their own files (`Layers`, `Config`), and those names are input.
    static func regularFile(_ relative: String, in root: String, what: String) throws(BerthError) -> String {
        let components = relative.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !relative.hasPrefix("/"), !components.isEmpty, !components.contains("..") else {
            throw BerthError(.invalidArchive, "\(what) names the path \"\(relative)\", which leaves the archive")
        }
        var path = root
        for (i, component) in components.enumerated() {
            path += "/" + component
            let found = Files.kind(path)
            let last = i == components.count - 1
            if found == .missing {
                throw BerthError(.invalidArchive, "\(what) names \"\(relative)\", which is not in the archive")
            }
            if found != (last ? .regular : .directory) {
                throw BerthError(
                    .invalidArchive, "\(what) names \"\(relative)\", which is not a regular file in the archive")
            }
        }
        return path
    }
}
