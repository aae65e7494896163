import BerthModel
import CZlib
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension JSONFileLog {
    /// Reads the log forward, one entry at a time, 64 KiB of file at a
    /// time: memory stays flat however long the log is. A `tail` finds its
    /// start by reading backwards from the end of the newest file; a `since`
    /// skips the rotated files whose last entry is older. Partial records
    /// (a long line the shim cut into 16 KiB pieces, all but the last
    /// without `\n`) come back joined, as the program wrote the line.
    ///
    /// Not thread-safe; one consumer pulls from it (`next`).
    public final class Cursor: @unchecked Sendable {
        private let files: [String]
        private let query: Query
        private var index = 0
        private var reader: LineReader?
        /// Per stream, the pieces of a line not yet finished.
        private var partial: [Entry.Stream: Entry] = [:]
        private var ready: [Entry] = []
        /// A tail's first line ends after this place (file, offset): a line
        /// of another stream that ends before it is older than the tail.
        private var endsAfter: Position?
        /// Without `follow`, where the live file ended when the read began:
        /// lines a running container writes meanwhile are not part of it
        /// (a `--tail 1` of a log still growing printed 13,770 lines).
        private let liveEnd: off_t?

        /// A cursor over `log`'s files at the start `query` selects.
        init(_ log: JSONFileLog, _ query: Query) throws {
            self.query = query
            var files = log.files()
            var offset: off_t = 0
            if let tail = query.tail {
                let start = Self.tailStart(files, lines: max(0, tail))
                files = Array(files[start.from.file...])
                offset = start.from.offset
                endsAfter = start.endsAfter.map { Position(file: $0.file - start.from.file, offset: $0.offset) }
            } else if let since = query.since {
                files = Self.skipOlder(files, than: since)
            }
            self.files = files
            liveEnd = query.follow ? nil : files.last.flatMap { LineReader.size(atPath: $0) }
            if let first = files.first { reader = LineReader(path: first, offset: offset, limit: limit(of: 0)) }
        }

        /// The next entry, or nil at the end of the last file.
        public func next() throws -> Entry? {
            if let entry = try nextAvailable() { return entry }
            return unfinished()
        }

        /// The next whole line there is now; nil at the current end of the
        /// live file, where a line not yet finished waits for its end.
        func nextAvailable() throws -> Entry? {
            while ready.isEmpty {
                guard let line = nextRecord() else { return nil }
                guard let entry = try JSONFileLog.parse(line) else { continue }
                join(entry, at: Position(file: index, offset: reader?.consumed ?? 0))
            }
            return ready.removeFirst()
        }

        /// After the live file was read to its end: when `json.log` now
        /// names another file (the shim rotated it), reads on in that one.
        func followRotation() -> Bool {
            guard let reader, index == files.count - 1, let path = files.last,
                let now = LineReader.inode(atPath: path), now != reader.inode
            else { return false }
            self.reader = LineReader(path: path, offset: 0)
            endsAfter = nil
            return true
        }

        private func join(_ entry: Entry, at position: Position) {
            var whole = entry
            if let started = partial.removeValue(forKey: entry.stream) {
                whole = started
                whole.text += entry.text
                // The line's time is its last piece's, as docker's reader gives it.
                whole.time = entry.time
                whole.date = entry.date
            }
            // By byte: a terminal's "\r\n" is one Character, which hasSuffix("\n") does not match.
            if whole.text.utf8.last == UInt8(ascii: "\n") {
                let older = endsAfter.map { position <= $0 } ?? false
                if !older { endsAfter = nil }
                if query.admits(whole) && !older { ready.append(whole) }
            } else {
                partial[entry.stream] = whole
            }
        }

        /// Lines left unfinished at the end of the log, as they are.
        func unfinished() -> Entry? {
            guard let (stream, entry) = partial.min(by: { $0.value.date < $1.value.date }) else { return nil }
            partial[stream] = nil
            return query.admits(entry) ? entry : unfinished()
        }

        /// The next record; the last file's reader stays, to read on from
        /// where it is when the shim has written more.
        private func nextRecord() -> Substring? {
            while let current = reader {
                if let line = current.next() { return line }
                guard index + 1 < files.count else { return nil }
                index += 1
                reader = LineReader(path: files[index], offset: 0, limit: limit(of: index))
            }
            return nil
        }

        /// How far the file at `index` is read: the live one to `liveEnd`.
        private func limit(of index: Int) -> off_t? { index == files.count - 1 ? liveEnd : nil }

        /// A place in the log: a file of the cursor's list, an offset in it.
        struct Position: Comparable {
            var file: Int
            var offset: off_t
            static func < (a: Self, b: Self) -> Bool { (a.file, a.offset) < (b.file, b.offset) }
        }

        /// Where the last `lines` lines begin, reading backwards and counting
        /// records that end a line (`\n` at the end of "log"): `from`, the
        /// first record to read, and `endsAfter`, the end of the last record
        /// before the tail. A line cut into pieces keeps its earlier pieces
        /// even when the other stream wrote between them; what that other
        /// stream wrote before the tail is dropped by `endsAfter`.
        static func tailStart(_ files: [String], lines: Int) -> (from: Position, endsAfter: Position?) {
            var ended = 0
            var boundary: Position?
            var earliest = Position(file: files.count - 1, offset: .max)
            // Streams whose line may have earlier pieces still to take.
            var open: Set<Substring> = []
            for file in files.indices.reversed() {
                var done = false
                LineReader.backwards(path: files[file]) { line, start, next in
                    let stream = streamName(line)
                    let ends = endsALine(line)
                    if boundary == nil {
                        if ends && ended == lines {
                            boundary = Position(file: file, offset: next)
                            open.remove(stream)
                        } else {
                            earliest = Position(file: file, offset: start)
                            if ends { ended += 1 }
                            open.insert(stream)
                            return true
                        }
                    } else if open.contains(stream) {
                        if ends {
                            open.remove(stream)
                        } else {
                            earliest = Position(file: file, offset: start)
                        }
                    }
                    done = open.isEmpty
                    return !done
                }
                if done { break }
            }
            guard let boundary else { return (Position(file: 0, offset: 0), nil) }
            return (min(boundary, earliest), boundary)
        }

        /// The "stream" of a record, as written.
        static func streamName(_ line: Substring) -> Substring {
            guard let key = line.range(of: "\"stream\":\""),
                let end = line[key.upperBound...].firstIndex(of: "\"")
            else { return "" }
            return line[key.upperBound..<end]
        }

        /// Rotated files whose last entry is before `since` are not read.
        static func skipOlder(_ files: [String], than since: Date) -> [String] {
            var first = 0
            for position in files.indices.dropLast() {
                var last: Date?
                LineReader.backwards(path: files[position]) { line, _, _ in
                    last = (try? JSONFileLog.parse(line))?.flatMap { $0 }?.date
                    return false
                }
                guard let last, last < since else { break }
                first = position + 1
            }
            return Array(files[first...])
        }

        /// Whether a record's "log" ends with `\n`: `\n","stream"` with the
        /// backslash not itself escaped (an odd run of backslashes).
        static func endsALine(_ line: Substring) -> Bool {
            let bytes = line.utf8
            guard let range = line.range(of: "\",\"stream\"") else { return true }
            var cursor = bytes.index(before: range.lowerBound)
            guard cursor > bytes.startIndex, bytes[cursor] == UInt8(ascii: "n") else { return false }
            var slashes = 0
            cursor = bytes.index(before: cursor)
            while cursor >= bytes.startIndex, bytes[cursor] == UInt8(ascii: "\\") {
                slashes += 1
                if cursor == bytes.startIndex { break }
                cursor = bytes.index(before: cursor)
            }
            return slashes % 2 == 1
        }
    }
}

/// One file's complete lines (a last line without its `\n` is being
/// written and is left for later), forward from an offset or backwards
/// from the end, through a 64 KiB buffer.
final class LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// The offset just past the last line `next` returned.
    private(set) var consumed: off_t
    /// Where the next read starts, and where reading stops (nil: the end, however far it grows).
    private var position: off_t
    private let limit: off_t?
    static let chunk = 65536

    /// A reader from `offset` up to `limit`; one for a file that cannot be
    /// opened (gone in a rotation) reads nothing.
    init(path: String, offset: off_t, limit: off_t? = nil) {
        fd = Self.open(path)
        if fd >= 0, offset > 0 { lseek(fd, offset, SEEK_SET) }
        consumed = offset
        position = offset
        self.limit = limit
    }

    /// The size of the file at `path` now.
    static func size(atPath path: String) -> off_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_size : nil
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The inode of the file read, to notice a rotation.
    var inode: UInt64? {
        var info = stat()
        return fd >= 0 && fstat(fd, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    static func inode(atPath path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// The next complete line, without its `\n`.
    func next() -> Substring? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                consumed += off_t(newline + 1 - start)
                start = newline + 1
                return Substring(line)
            }
            // At the end for now: a live file may grow, and is read again next time.
            guard fd >= 0 else { return nil }
            let wanted = limit.map { Int(min(off_t(Self.chunk), $0 - position)) } ?? Self.chunk
            guard wanted > 0 else { return nil }
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: wanted)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            position += off_t(n)
            buffer += chunk[0..<n]
        }
    }

    /// Calls `body` with each complete line of `path` from the last to the
    /// first, the offset it starts at and the one just past its `\n`,
    /// until it returns false.
    static func backwards(path: String, _ body: (Substring, off_t, off_t) -> Bool) {
        let fd = Self.open(path)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        var position = off_t(info.st_size)
        var carry: [UInt8] = []
        var sawEnd = false
        var chunk = [UInt8](repeating: 0, count: Self.chunk)
        while position > 0 {
            let size = Int(min(off_t(Self.chunk), position))
            position -= off_t(size)
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, position) }
            guard n == size else { return }
            var block = Array(chunk[0..<size]) + carry
            // The last line without its "\n" is still being written.
            if !sawEnd {
                guard let last = block.lastIndex(of: UInt8(ascii: "\n")) else {
                    carry = []
                    continue
                }
                sawEnd = true
                block.removeSubrange(last...)
            }
            var end = block.count
            while let newline = block[..<end].lastIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: block[(newline + 1)..<end], as: UTF8.self)
                if !body(Substring(line), position + off_t(newline) + 1, position + off_t(end) + 1) { return }
                end = newline
            }
            carry = Array(block[..<end])
            if position == 0, !carry.isEmpty {
                _ = body(Substring(String(decoding: carry, as: UTF8.self)), 0, off_t(carry.count) + 1)
            }
        }
    }

    /// A descriptor to read `path` from its start: the file itself, or for
    /// one the shim gzipped (`json.log.N.gz`) its text inflated into an
    /// unnamed file beside it, gone once closed (docker reads its compressed
    /// logs so too); offsets in it are those of the text. -1 when it cannot
    /// be read (gone in a rotation, or not whole).
    static func open(_ path: String) -> Int32 {
        guard path.hasSuffix(".gz") else { return Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        guard let gz = gzopen(path, "rbe") else { return -1 }
        defer { gzclose(gz) }
        var template = Array((path + ".read-XXXXXX").utf8CString)
        let out = template.withUnsafeMutableBufferPointer { name in
            name.baseAddress.map { base in
                let fd: Int32 = mkstemp(base)
                if fd >= 0 {
                    unlink(base)
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                }
                return fd
            } ?? Int32(-1)
        }
        guard out >= 0 else { return -1 }
        var chunk = [UInt8](repeating: 0, count: Self.chunk)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if n == 0, lseek(out, 0, SEEK_SET) == 0 { return out }
            var done = 0
            while n > 0, done < Int(n) {
                let w = chunk.withUnsafeBytes { write(out, $0.baseAddress.map { $0 + done }, Int(n) - done) }
                if w < 0, errno == EINTR { continue }
                guard w > 0 else { break }
                done += w
            }
            guard n > 0, done == Int(n) else {
                close(out)
                return -1
            }
        }
    }
}
