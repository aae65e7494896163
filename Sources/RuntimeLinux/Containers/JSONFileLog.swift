import BerthModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads a container's json-file log: `json.log` and the files rotated out
/// of it (`json.log.1` newest … `json.log.N` oldest, each `.gz` when the
/// shim compressed it), in the format the shim writes (docker's).
public struct JSONFileLog: Sendable {
    /// The container directory holding the log files.
    public var directory: String

    /// The log in `directory`.
    public init(directory: String) { self.directory = directory }

    /// The entries `query` selects, oldest first (`follow` is ignored here).
    public func read(_ query: Query) throws -> [Entry] {
        let cursor = try Cursor(self, query)
        var entries: [Entry] = []
        while let entry = try cursor.next() { entries.append(entry) }
        return entries
    }

    /// The entries `query` selects, pulled one by one (`follow` is ignored).
    public func cursor(_ query: Query) throws -> Cursor { try Cursor(self, query) }

    /// The log files, oldest first. Where a rotated file is there in both
    /// forms (the shim is compressing it), the plain one is read.
    func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var rotated: [Int: String] = [:]
        for name in names where name.hasPrefix("json.log.") {
            let rest = name.dropFirst("json.log.".count)
            if let number = Int(rest) {
                rotated[number] = name
            } else if rest.hasSuffix(".gz"), let number = Int(rest.dropLast(3)), rotated[number] == nil {
                rotated[number] = name
            }
        }
        return rotated.keys.sorted(by: >).compactMap { rotated[$0].map { directory + "/" + $0 } }
            + [directory + "/json.log"]
    }

    private struct Raw: Decodable {
        var log: String
        var stream: Entry.Stream
        var time: String
    }

    /// One entry from one line of the file.
    static func parse(_ line: Substring) throws -> Entry? {
        guard !line.isEmpty else { return nil }
        if let fields = ShimRecord.fields(line), let stream = Entry.Stream(rawValue: fields.stream),
            let date = parseTime(fields.time)
        {
            return Entry(stream: stream, text: fields.log, time: fields.time, date: date)
        }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(line.utf8))
        } catch {
            throw BerthError(
                .runtime, "unreadable json-file log entry: \(line.prefix(200))", cause: BerthError.describe(error))
        }
        guard let date = parseTime(raw.time) else {
            throw BerthError(.runtime, "json-file log entry with a bad time \"\(raw.time)\"")
        }
        return Entry(stream: raw.stream, text: raw.log, time: raw.time, date: date)
    }

    /// `2024-05-01T10:00:00.123456789Z` (or with a `+hh:mm` offset) as a date.
    public static func parseTime(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for c in b[from..<(from + count)] {
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            var scale = 0.1
            index += 1
            while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                fraction += Double(b[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < b.count, b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-") {
            guard let h = number(index + 1, 2), let m = number(index + 4, 2) else { return nil }
            offset = (h * 3600 + m * 60) * (b[index] == UInt8(ascii: "-") ? -1 : 1)
        } else if index >= b.count || b[index] != UInt8(ascii: "Z") {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
    }
}

extension JSONFileLog {
    /// One line of a container's output, as the shim logged it.
    public struct Entry: Hashable, Sendable {
        /// Which pipe it came from.
        public enum Stream: String, Hashable, Sendable, Codable {
            /// The container's stdout.
            case stdout
            /// The container's stderr.
            case stderr
        }

        /// Which pipe it came from.
        public var stream: Stream
        /// The text, with its `\n` when the line had one (a partial line has none).
        public var text: String
        /// The time as written: RFC 3339 with nanoseconds, UTC.
        public var time: String
        /// The time as a date (microsecond precision; `time` keeps the nanoseconds).
        public var date: Date

        /// The line as `docker logs` prints it, with `--timestamps` or without.
        public func formatted(timestamps: Bool) -> String {
            timestamps ? time + " " + text : text
        }
    }

    /// Which log entries to read.
    public struct Query: Hashable, Sendable {
        /// Only the last `tail` entries (taken before `since`, as docker does); nil: all.
        public var tail: Int?
        /// Only entries at or after this time.
        public var since: Date?
        /// Only entries at or before this time.
        public var until: Date?
        /// Keep reading new entries until the container exits.
        public var follow: Bool
        /// Prefix each line with its time when formatted as text.
        public var timestamps: Bool

        /// A query; by default every entry, no follow, no timestamps.
        public init(
            tail: Int? = nil, since: Date? = nil, until: Date? = nil, follow: Bool = false, timestamps: Bool = false
        ) {
            self.tail = tail
            self.since = since
            self.until = until
            self.follow = follow
            self.timestamps = timestamps
        }
    }
}

extension JSONFileLog.Query {
    /// Whether `entry` is within `since`/`until`.
    func admits(_ entry: JSONFileLog.Entry) -> Bool {
        if let since, entry.date < since { return false }
        if let until, entry.date > until { return false }
        return true
    }
}
