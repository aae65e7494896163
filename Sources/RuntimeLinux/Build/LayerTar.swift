import BerthModel
import Crypto
import Glibc
import Registry

/// Writes a layer tar from a directory in overlayfs's form, as a `RUN`'s
/// upper directory or a `COPY`'s staging directory is: names sorted, each
/// directory before what it holds, hard links kept (a second name of an
/// inode is a link entry), a whiteout device (a character device 0/0)
/// written as an empty `.wh.NAME`, and a directory marked opaque
/// (`trusted.overlay.opaque=y`) followed by `.wh..wh..opq`. Paths longer
/// than ustar holds get a PAX header. Hashes as it writes: the digest of
/// the tar is the layer's diff ID.
struct LayerTarWriter {
    private let fd: Int32
    private var hasher = SHA256()
    private var buffer: [UInt8] = []
    private(set) var size: Int64 = 0
    private var links: [String: String] = [:]
    private let what: String

    /// Writes the tar of `directory` to `path`; returns its digest and size.
    static func write(_ directory: String, to path: String, what: String) throws(BerthError) -> (Registry.Digest, Int64)
    {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BerthError(.io, "\(what): cannot create \(path)", cause: FileOps.errnoText()) }
        defer { close(fd) }
        var writer = LayerTarWriter(fd: fd, what: what)
        try writer.walk(directory, relative: "")
        try writer.append([UInt8](repeating: 0, count: 1024))
        try writer.flush()
        return (Registry.Digest(writer.hasher.finalize()), writer.size)
    }

    private init(fd: Int32, what: String) {
        self.fd = fd
        self.what = what
    }

    private mutating func walk(_ directory: String, relative: String) throws(BerthError) {
        let names = try FileOps.list(directory).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            let path = directory + "/" + name
            let entryName = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else {
                throw BerthError(.io, "\(what): cannot read \(path)", cause: FileOps.errnoText())
            }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFCHR && info.st_rdev == 0 {
                let parent = relative.isEmpty ? "" : relative + "/"
                try header(parent + ".wh." + name, info, type: UInt8(ascii: "0"), size: 0, mode: 0o644)
                continue
            }
            switch kind {
            case S_IFDIR:
                try header(entryName + "/", info, type: UInt8(ascii: "5"))
                if Xattr.get(path, Whiteouts.opaqueXattr) == [UInt8(ascii: "y")] {
                    try header(entryName + "/" + Whiteouts.opaqueMarker, info, type: UInt8(ascii: "0"), size: 0)
                }
                try walk(path, relative: entryName)
            case S_IFREG:
                let inode = "\(info.st_dev):\(info.st_ino)"
                if info.st_nlink > 1, let first = links[inode] {
                    try header(entryName, info, type: UInt8(ascii: "1"), size: 0, link: first)
                    continue
                }
                if info.st_nlink > 1 { links[inode] = entryName }
                try header(entryName, info, type: UInt8(ascii: "0"), size: Int64(info.st_size))
                try content(path, size: Int64(info.st_size))
            case S_IFLNK:
                try header(entryName, info, type: UInt8(ascii: "2"), size: 0, link: try linkTarget(path))
            case S_IFCHR, S_IFBLK, S_IFIFO:
                let type: UInt8 =
                    kind == S_IFCHR ? UInt8(ascii: "3") : kind == S_IFBLK ? UInt8(ascii: "4") : UInt8(ascii: "6")
                try header(entryName, info, type: type, size: 0)
            default:
                continue  // sockets are not archived
            }
        }
    }

    private func linkTarget(_ path: String) throws(BerthError) -> String {
        var bytes = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &bytes, 4096)
        guard count >= 0 else {
            throw BerthError(.io, "\(what): cannot read the link \(path)", cause: FileOps.errnoText())
        }
        return String(decoding: bytes[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private mutating func header(
        _ name: String, _ info: stat, type: UInt8, size: Int64 = 0, link: String = "", mode: UInt32? = nil
    ) throws(BerthError) {
        var pax: [(String, String)] = []
        if name.utf8.count > 100 { pax.append(("path", name)) }
        if link.utf8.count > 100 { pax.append(("linkpath", link)) }
        if !pax.isEmpty {
            var body: [UInt8] = []
            for (key, value) in pax { body += Self.paxRecord(key, value) }
            var block = Self.block(
                name: "PaxHeaders/" + String(name.suffix(80)), mode: 0o644, uid: 0, gid: 0, size: Int64(body.count),
                mtime: Int64(info.st_mtim.tv_sec), type: UInt8(ascii: "x"), link: "", major: 0, minor: 0)
            block += body
            block += [UInt8](repeating: 0, count: (512 - body.count % 512) % 512)
            try append(block)
        }
        let device = info.st_rdev
        try append(
            Self.block(
                name: name, mode: mode ?? UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid, size: size,
                mtime: Int64(info.st_mtim.tv_sec), type: type, link: link,
                major: UInt32((device >> 8) & 0xfff), minor: UInt32((device & 0xff) | ((device >> 12) & 0xfff00))))
    }

    /// `LEN key=value\n`, LEN counting itself.
    private static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let rest = " \(key)=\(value)\n".utf8.count
        var length = rest + String(rest).count
        if String(length).count != String(rest).count { length = rest + String(length).count }
        return Array("\(length) \(key)=\(value)\n".utf8)
    }

    private static func block(
        name: String, mode: UInt32, uid: UInt32, gid: UInt32, size: Int64, mtime: Int64, type: UInt8, link: String,
        major: UInt32, minor: UInt32
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: [UInt8], _ offset: Int, _ length: Int) {
            for (index, byte) in text.prefix(length).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, _ offset: Int, _ length: Int) {
            let digits = String(value, radix: 8)
            put(
                Array((String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits).utf8), offset,
                length - 1)
        }
        put(Array(name.utf8), 0, 100)
        octal(Int64(mode), 100, 8)
        octal(Int64(uid), 108, 8)
        octal(Int64(gid), 116, 8)
        octal(size, 124, 12)
        octal(max(0, mtime), 136, 12)
        block[156] = type
        put(Array(link.utf8), 157, 100)
        put(Array("ustar\0".utf8), 257, 6)
        put(Array("00".utf8), 263, 2)
        octal(Int64(major), 329, 8)
        octal(Int64(minor), 337, 8)
        put(Array("        ".utf8), 148, 8)
        let sum = block.reduce(0) { $0 + Int64($1) }
        octal(sum, 148, 7)
        block[155] = 0x20
        return block
    }

    private mutating func content(_ path: String, size: Int64) throws(BerthError) {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BerthError(.io, "\(what): cannot open \(path)", cause: FileOps.errnoText()) }
        defer { close(input) }
        var remaining = size
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0 {
            let count = chunk.withUnsafeMutableBytes {
                Glibc.read(input, $0.baseAddress, min($0.count, Int(remaining)))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw BerthError(.io, "\(what): \(path) changed while it was archived") }
            try append(Array(chunk[..<count]))
            remaining -= Int64(count)
        }
        let padding = Int((512 - size % 512) % 512)
        if padding > 0 { try append([UInt8](repeating: 0, count: padding)) }
    }

    private mutating func append(_ bytes: [UInt8]) throws(BerthError) {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    private mutating func flush() throws(BerthError) {
        hasher.update(data: buffer)
        size += Int64(buffer.count)
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                raw.baseAddress.map { Glibc.write(fd, $0 + offset, raw.count - offset) } ?? 0
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw BerthError(.io, "\(what): cannot write the layer", cause: FileOps.errnoText())
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
