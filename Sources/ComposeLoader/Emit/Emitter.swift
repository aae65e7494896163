/// Prints canonical trees as YAML or JSON, the way `docker compose config` does:
/// block style, two-space indents, mapping keys sorted (except where a node
/// is tagged `.ordered`), strings quoted only when they would read back as
/// something else.
///
/// Output goes into one byte buffer, and every scalar is read as UTF-8 bytes
/// in place: a thousand-service project prints in a few milliseconds, and
/// the config hash is taken over the same bytes.
public enum Emitter {
    /// The tree as YAML text, ending with a newline.
    ///
    /// `escapeDollars` writes each `$` as `$$`, as `docker compose config`
    /// does, so that the printed file reads back to the same values through
    /// interpolation.
    public static func yaml(_ node: Node, escapeDollars: Bool = false) -> String {
        var out = Output(escapeDollars: escapeDollars)
        out.yamlDocument(node)
        return out.string()
    }

    /// The tree as JSON text, indented by two spaces, ending with a newline.
    public static func json(_ node: Node, escapeDollars: Bool = false) -> String {
        var out = Output(escapeDollars: escapeDollars, indented: true)
        out.jsonDocument(node)
        return out.string()
    }

    /// The tree as YAML (or JSON, indented), handed to `write` in pieces of
    /// about 64 KiB as it is made.
    ///
    /// A thousand services print 1 MB: held whole, the buffer doubling up to
    /// 2 MB and the String copied from it touched about 1,000 fresh pages
    /// (page faults were a fifth of `berth config`'s time); streamed, one
    /// buffer of 64 KiB is reused.
    public static func write(
        _ node: Node, json: Bool = false, escapeDollars: Bool = false,
        to write: @escaping (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        var out = Output(escapeDollars: escapeDollars, indented: true, sink: write)
        if json { out.jsonDocument(node) } else { out.yamlDocument(node) }
        out.flush()
    }

    /// JSON as UTF-8 bytes; `indented: false` gives the compact form the hash uses.
    public static func jsonBytes(_ node: Node, indented: Bool, escapeDollars: Bool = false) -> [UInt8] {
        var out = Output(escapeDollars: escapeDollars, indented: indented)
        out.jsonDocument(node)
        return out.bytes()
    }

    /// True when a mapping prints in the order it has: tagged `.ordered`, or
    /// already sorted, as most canonical mappings are (checking is cheaper than sorting).
    static func inOrder(_ node: Node, _ entries: [Node.Entry]) -> Bool {
        if node.tag == .ordered || entries.count < 2 { return true }
        for i in 1..<entries.count where !(entries[i - 1].key < entries[i].key) {
            return false
        }
        return true
    }

    /// The positions of `entries` in key order. Sorting positions instead of
    /// the entries themselves copies no entry (each copy retains a key and a
    /// value): a thousand-service file has a thousand unsorted services.
    static func sortedPositions(_ entries: [Node.Entry]) -> [Int] {
        var order = Array(entries.indices)
        // Stable, as `sorted(by:)` of the entries was.
        order.sort { entries[$0].key < entries[$1].key || (entries[$0].key == entries[$1].key && $0 < $1) }
        return order
    }

    /// Bytes that never need quoting anywhere in a block-context plain scalar:
    /// letters, digits, bytes of multi-byte characters and `_-./@+=,;()^$`,
    /// as a bit set over the byte's value (one shift and mask per byte).
    @inline(__always)
    static func plainSafe(_ c: UInt8) -> Bool {
        // Bits for 0x00-0x3F: $ ( ) + , - . / 0-9 ; =
        let low: UInt64 = 0x2BFF_FB10_0000_0000
        // Bits for 0x40-0x7F: @ A-Z ^ _ a-z
        let high: UInt64 = 0x07FF_FFFE_C7FF_FFFF
        switch c >> 6 {
        case 0: return low >> UInt64(c & 63) & 1 == 1
        case 1: return high >> UInt64(c & 63) & 1 == 1
        default: return true
        }
    }

    /// Letters that can begin a YAML word with a meaning (null, true, yes, on, …).
    @inline(__always)
    private static func startsWord(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"),
            UInt8(ascii: "F"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            return true
        default: return false
        }
    }

    /// True when a string must be quoted to read back as the same string.
    static func needsQuotes(_ text: String) -> Bool {
        withUTF8(text) { needsQuotes($0) }
    }

    /// `needsQuotes` over the string's UTF-8 bytes.
    static func needsQuotes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return true }
        // Fast path: a name-like string (`svc12`, `/var/lib/app`, `image:tag` has a colon and goes the long way).
        // `safe` counts the leading bytes that need no quotes: the scans below
        // start after them (an image name or a URL is mostly such bytes).
        var safe = 0
        let letter = (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A)
        if (letter && (bytes.count > 5 || !startsWord(first))) || first == UInt8(ascii: "/")
            || first == UInt8(ascii: "_")
        {
            while safe < bytes.count && plainSafe(bytes[safe]) { safe += 1 }
            if safe == bytes.count { return false }
        }
        // Only short words and number-like text can read back as something
        // else; test those without making a String of every scalar.
        func numberLike() -> Bool {
            bytes.allSatisfy { b in
                (b >= 48 && b <= 57) || b == 43 || b == 45 || b == 46 || b == 95 || b == 101 || b == 69 || b == 120
                    || b == 111
                    || (b >= 97 && b <= 102) || (b >= 65 && b <= 70)
            }
        }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "~"),
            UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"),
            UInt8(ascii: "F"),
            UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "="),
            UInt8(ascii: "<"):
            guard bytes.count <= 5 || first == UInt8(ascii: ".") || numberLike() else { break }
            if resolve(bytes) != .string { return true }
            // Words YAML 1.1 readers take as booleans; quoting keeps older tools reading a string.
            if bytes.count <= 3 && isYAML11Word(bytes) { return true }
        case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
            // Indicators only when followed by a space or alone; "-1" is a number.
            if bytes.count == 1 || bytes[1] == UInt8(ascii: " ") { return true }
            if first == UInt8(ascii: "-"), bytes.count <= 5 || numberLike(), resolve(bytes) != .string { return true }
        case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
            UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"),
            UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"),
            UInt8(ascii: "`"), UInt8(ascii: " "), UInt8(ascii: "\t"):
            return true
        default: break
        }
        if last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || last == UInt8(ascii: ":") { return true }
        // Control characters, `: ` and ` #` need quotes anywhere; none of them
        // is in the safe prefix, nor is the `:` or space they would follow.
        var previous: UInt8 = 0
        for i in safe..<bytes.count {
            let byte = bytes[i]
            if byte < 0x20 || byte == 0x7F { return true }
            if previous == UInt8(ascii: ":") && byte == UInt8(ascii: " ") { return true }
            if previous == UInt8(ascii: " ") && byte == UInt8(ascii: "#") { return true }
            previous = byte
        }
        return false
    }

    /// `ScalarType.resolve` of the bytes, making a String only when they look like a number.
    @inline(__always)
    private static func resolve(_ bytes: UnsafeBufferPointer<UInt8>) -> ScalarType {
        ScalarType.quickResolve(bytes) ?? ScalarType.resolve(String(decoding: bytes, as: UTF8.self))
    }

    /// `y`, `yes`, `n`, `no`, `on`, `off` (lower, capitalized or upper case), `=` and `<<`.
    private static func isYAML11Word(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func equals(_ word: StaticString) -> Bool { ScalarType.equals(bytes, word) }
        switch bytes.count {
        case 1:
            return equals("y") || equals("Y") || equals("n") || equals("N") || equals("=")
        case 2:
            return equals("no") || equals("No") || equals("NO") || equals("on") || equals("On") || equals("ON")
                || equals("<<")
        case 3:
            return equals("yes") || equals("Yes") || equals("YES") || equals("off") || equals("Off") || equals("OFF")
        default:
            return false
        }
    }

    /// A double-quoted scalar, valid in both YAML and JSON.
    static func doubleQuoted(_ text: String) -> String {
        var out = Output(escapeDollars: false)
        out.doubleQuoted(text)
        return out.string()
    }

    /// Runs `body` over the string's UTF-8 bytes without copying a native string.
    @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }
}
