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
        guard bytes.first == UInt8(ascii: "/"), bytes.count == 1 || bytes.last != UInt8(ascii: "/") else {
            return false
        }
        var previous: UInt8 = 0
        var afterSlash = false
        var dots = 0
        for byte in bytes {
            if byte == UInt8(ascii: "/") {
                if previous == UInt8(ascii: "/") || (afterSlash && dots > 0 && dots <= 2) { return false }
                afterSlash = true
                dots = 0
            } else if byte == UInt8(ascii: ".") && afterSlash
                && (previous == UInt8(ascii: "/") || previous == UInt8(ascii: "."))
            {
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
