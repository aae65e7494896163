/// Durations in Go's syntax (`1m30s`, `500ms`, `1.5h`), which compose uses.
enum DurationText {
    /// Nanoseconds, or nil when `text` is not a duration. A bare number is refused,
    /// as docker compose refuses it (`10` could mean seconds or nanoseconds).
    static func parse(_ text: String) -> Int64? {
        // Over UTF-8 bytes in place: this runs for every healthcheck field of every service.
        Emitter.withUTF8(text) { all in
            var lower = 0, upper = all.count
            while lower < upper, all[lower] == 32 || all[lower] == 9 { lower += 1 }
            while upper > lower, all[upper - 1] == 32 || all[upper - 1] == 9 { upper -= 1 }
            return parse(UnsafeBufferPointer(rebasing: all[lower..<upper]))
        }
    }

    /// `parse` of text already trimmed.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        if bytes.count - i == 1, bytes[i] == UInt8(ascii: "0") { return 0 }
        guard i < bytes.count else { return nil }
        var total: Double = 0
        while i < bytes.count {
            var whole: Double = 0
            var fraction: Double = 0
            var scale: Double = 1
            var digits = 0
            var seenDot = false
            while i < bytes.count, (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 46 {
                if bytes[i] == 46 {
                    if seenDot { return nil }
                    seenDot = true
                } else if seenDot {
                    scale /= 10
                    fraction += Double(bytes[i] - 48) * scale
                    digits += 1
                } else {
                    whole = whole * 10 + Double(bytes[i] - 48)
                    digits += 1
                }
                i += 1
            }
            guard digits > 0 else { return nil }
            let unitStart = i
            while i < bytes.count, !((bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 46) { i += 1 }
            guard let unit = unit(UnsafeBufferPointer(rebasing: bytes[unitStart..<i])) else { return nil }
            total += (whole + fraction) * unit
            guard total < 9.2e18 else { return nil }
        }
        return Int64(negative ? -total : total)
    }

    /// Nanoseconds in a unit: `ns`, `us` (or `µs`, `μs`), `ms`, `s`, `m`, `h`.
    /// Compared as bytes: no other text is canonically equivalent to these.
    private static func unit(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        func equals(_ word: StaticString) -> Bool { ScalarType.equals(bytes, word) }
        if equals("s") { return 1e9 }
        if equals("ms") { return 1e6 }
        if equals("m") { return 60e9 }
        if equals("h") { return 3600e9 }
        if equals("ns") { return 1 }
        if equals("us") || equals("µs") || equals("μs") { return 1e3 }
        return nil
    }

    /// Go's `time.Duration.String()`: `1m30s`, `500ms`, `1h0m0s`, `0s`.
    static func format(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let ns = nanoseconds.magnitude
        if ns < 1_000 { return "\(sign)\(ns)ns" }
        if ns < 1_000_000 { return sign + fraction(ns, 1_000) + "µs" }
        if ns < 1_000_000_000 { return sign + fraction(ns, 1_000_000) + "ms" }
        let hours = ns / 3_600_000_000_000
        let minutes = (ns / 60_000_000_000) % 60
        let seconds = fraction(ns % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(seconds)" }
        return sign + seconds
    }

    /// `value / unit` with the remainder as decimals, trailing zeros dropped.
    private static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        var rest = value % unit
        guard rest > 0 else { return "\(whole)" }
        var digits = ""
        var scale = unit / 10
        while rest > 0, scale > 0 {
            digits.append(Character(String(rest / scale)))
            rest %= scale
            scale /= 10
        }
        return "\(whole).\(digits)"
    }
}

/// Byte sizes as docker writes them: `512m`, `1g`, `1gb`, `100k`, `1024`, `1.5g`.
enum ByteSize {
    /// Bytes, or nil. Units are binary (k = 1024), case-insensitive, with an
    /// optional `b` or `ib` after the letter.
    static func parse(_ text: String) -> Int64? {
        let lowered = text.trimmingSpaces.lowercased()
        let digits = lowered.prefix { ($0 >= "0" && $0 <= "9") || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
        let unit = lowered.dropFirst(digits.count).trimmingCharacters(" ")
        let multiplier: Double
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1024
        case "m", "mb", "mib": multiplier = 1024 * 1024
        case "g", "gb", "gib": multiplier = 1024 * 1024 * 1024
        case "t", "tb", "tib": multiplier = 1024 * 1024 * 1024 * 1024
        case "p", "pb", "pib": multiplier = 1024 * 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = value * multiplier
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(_ c: Character) -> String {
        var s = self
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}

/// File modes (`0440`, `1777`, `0o755`): always octal, whether YAML read the
/// text as a number or a string. Printed as docker compose prints them
/// (`"0440"`, a string), so the canonical form reads back to the same mode.
enum FileModeText {
    /// The mode, or nil when the text is not an octal mode of at most 07777.
    static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingSpaces)
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, let mode = Int(digits, radix: 8), (0...0o7777).contains(mode) else { return nil }
        return mode
    }

    /// `0` followed by the octal digits.
    static func format(_ mode: Int) -> String {
        "0" + String(mode, radix: 8)
    }
}

/// Host paths: `~` expansion, relative paths against a base, `.` and `..` folded.
enum Paths {
    /// An absolute, folded path for `raw`.
    static func resolve(_ raw: String, base: String, home: String?) -> String {
        var path = raw
        if path == "~" || path.hasASCIIPrefix("~/") {
            path = (home ?? "/root") + path.dropFirst()
        }
        if path.hasASCIIPrefix("/") { return normalize(path) }
        // `base/path`, folded in the same pass (a relative bind source like
        // `./conf` is the common case, and always needs folding).
        var joined: [UInt8] = []
        joined.reserveCapacity(base.utf8.count + 1 + path.utf8.count)
        joined.append(contentsOf: base.utf8)
        joined.append(UInt8(ascii: "/"))
        joined.append(contentsOf: path.utf8)
        return joined.withUnsafeBufferPointer { isFolded($0) ? String(decoding: $0, as: UTF8.self) : fold($0) }
    }

    /// Folds `.`, `..` and repeated slashes of an absolute path.
    ///
    /// Over the UTF-8 bytes: every bind mount of every service comes here, and
    /// splitting into Substrings and joining them cost about 15,000 instructions
    /// a path. A `/` byte is never part of a longer character, and no other text
    /// is canonically equivalent to `.` or `..`, so bytes decide exactly.
    static func normalize(_ path: String) -> String {
        Emitter.withUTF8(path) { bytes in
            // Most paths are already folded and are returned as they are.
            isFolded(bytes) ? path : fold(bytes)
        }
    }

    /// True for an absolute path with no `//`, no `.` or `..` component and no trailing slash.
    private static func isFolded(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.first == UInt8(ascii: "/"), bytes.count == 1 || bytes.last != UInt8(ascii: "/") else { return false }
        var previous: UInt8 = 0
        var afterSlash = false
        var dots = 0
        for byte in bytes {
            if byte == UInt8(ascii: "/") {
                if previous == UInt8(ascii: "/") || (afterSlash && dots > 0 && dots <= 2) { return false }
                afterSlash = true
                dots = 0
            } else if byte == UInt8(ascii: ".") && afterSlash && (previous == UInt8(ascii: "/") || previous == UInt8(ascii: ".")) {
                dots += 1
            } else {
                afterSlash = false
                dots = 0
            }
            previous = byte
        }
        return !(afterSlash && dots > 0 && dots <= 2)
    }

    /// The parts of `bytes` between slashes, with `.` dropped and `..` taking off
    /// the part before it, joined behind a leading `/`.
    private static func fold(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 1)
        var i = 0
        while i < bytes.count {
            while i < bytes.count && bytes[i] == slash { i += 1 }
            let start = i
            while i < bytes.count && bytes[i] != slash { i += 1 }
            switch i - start {
            case 0:
                continue
            case 1 where bytes[start] == dot:
                continue
            case 2 where bytes[start] == dot && bytes[start + 1] == dot:
                // Each kept part begins with its `/`, and no part holds one.
                if let last = out.lastIndex(of: slash) { out.removeSubrange(last...) }
            default:
                out.append(slash)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            }
        }
        return out.isEmpty ? "/" : String(decoding: out, as: UTF8.self)
    }

    /// The directory part of a path (`/a/b/c.yaml` → `/a/b`).
    static func directory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// The last component of a path.
    static func base(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }
}

/// "Did you mean …?" for misspelt keys.
enum Suggest {
    /// The candidate closest to `word` by edit distance, when close enough to be a likely typo.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(1, min(3, word.count / 3 + 1))
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word.lowercased(), candidate)
            if d <= limit, d < (best?.1 ?? Int.max) || (d == best?.1 && candidate < (best?.0 ?? "")) {
                best = (candidate, d)
            }
        }
        return best?.0
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Splits a command string as a POSIX shell would (quotes and backslashes),
/// without expanding anything: what compose does with `command: "a b"`.
enum ShellWords {
    /// The words, or nil when a quote is left open.
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "\\":
                inWord = true
                if let next = iterator.next() { current.append(next) }
            case "'":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "'" { closed = true; break }
                    current.append(q)
                }
                if !closed { return nil }
            case "\"":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "\"" { closed = true; break }
                    if q == "\\" {
                        guard let escaped = iterator.next() else { return nil }
                        if escaped != "\"" && escaped != "\\" && escaped != "$" && escaped != "`" && escaped != "\n" {
                            current.append("\\")
                        }
                        if escaped != "\n" { current.append(escaped) }
                        continue
                    }
                    current.append(q)
                }
                if !closed { return nil }
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

extension StringProtocol {
    /// `hasPrefix` for an ASCII prefix, decided over the UTF-8 bytes.
    ///
    /// `hasPrefix` on a Substring compares Characters (about 850 instructions
    /// for `/`). Matching bytes are matching Characters unless what follows the
    /// prefix joins its last character into one grapheme, which takes a
    /// non-ASCII byte (a combining mark) or `\r\n`; `hasPrefix` decides those.
    func hasASCIIPrefix(_ prefix: StaticString) -> Bool {
        let p = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        let settled = utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            guard bytes.count >= p.count else { return false }
            for i in 0..<p.count where bytes[i] != p[i] { return false }
            guard bytes.count > p.count else { return true }
            let next = bytes[p.count]
            if next < 0x80 && !(next == UInt8(ascii: "\n") && p.last == UInt8(ascii: "\r")) { return true }
            return nil
        }
        if let settled, let answer = settled { return answer }
        return hasPrefix(String(decoding: p, as: UTF8.self))
    }
}

extension String {
    /// True when the UTF-8 form holds `byte`: one pass over contiguous
    /// storage, for checks that run on every scalar of a large file.
    func containsByte(_ byte: UInt8) -> Bool {
        if let found = utf8.withContiguousStorageIfAvailable({ $0.contains(byte) }) { return found }
        return utf8.contains(byte)
    }
}
