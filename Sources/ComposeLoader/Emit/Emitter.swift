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
        _ node: Node, json: Bool = false, escapeDollars: Bool = false, to write: @escaping (UnsafeBufferPointer<UInt8>) -> Void
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
        if (letter && (bytes.count > 5 || !startsWord(first))) || first == UInt8(ascii: "/") || first == UInt8(ascii: "_") {
            while safe < bytes.count && plainSafe(bytes[safe]) { safe += 1 }
            if safe == bytes.count { return false }
        }
        // Only short words and number-like text can read back as something
        // else; test those without making a String of every scalar.
        func numberLike() -> Bool {
            bytes.allSatisfy { b in
                (b >= 48 && b <= 57) || b == 43 || b == 45 || b == 46 || b == 95 || b == 101 || b == 69 || b == 120 || b == 111
                    || (b >= 97 && b <= 102) || (b >= 65 && b <= 70)
            }
        }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "~"),
            UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"),
            UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "="), UInt8(ascii: "<"):
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
            return equals("no") || equals("No") || equals("NO") || equals("on") || equals("On") || equals("ON") || equals("<<")
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

extension UInt8 {
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let dash = UInt8(ascii: "-")
    fileprivate static let dollar = UInt8(ascii: "$")
}

/// The byte buffer the emitter writes into: raw memory grown by doubling.
///
/// An `[UInt8]` checks uniqueness and capacity on every append, and a
/// thousand services make about half a million appends; with this buffer
/// and scalars read in place, printing them went from 92M to 55M instructions.
private struct Output: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    let indented: Bool
    /// Whether `$` is written as `$$` (never in keys).
    var escapeDollars: Bool
    /// Where full buffers go, when the output is streamed rather than kept.
    private let sink: ((UnsafeBufferPointer<UInt8>) -> Void)?

    init(escapeDollars: Bool, indented: Bool = true, sink: ((UnsafeBufferPointer<UInt8>) -> Void)? = nil) {
        capacity = 1 << 16
        base = .allocate(capacity: capacity)
        self.escapeDollars = escapeDollars
        self.indented = indented
        self.sink = sink
    }

    /// Hands what is buffered to the sink.
    mutating func flush() {
        guard let sink, count > 0 else { return }
        sink(UnsafeBufferPointer(start: base, count: count))
        count = 0
    }

    deinit { base.deallocate() }

    /// The bytes written, as an array.
    consuming func bytes() -> [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// The bytes written, as a string (every piece came from a valid string).
    consuming func string() -> String {
        let source = UnsafeBufferPointer(start: base, count: count)
        return String(unsafeUninitializedCapacity: count) { target in
            _ = target.initialize(fromContentsOf: source)
            return source.count
        }
    }

    /// Room for `n` more bytes.
    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { makeRoom(n) }
    }

    /// Room for `n` more bytes: by flushing when streaming, else by growing.
    private mutating func makeRoom(_ n: Int) {
        if sink != nil {
            flush()
            if n <= capacity { return }
        }
        var newCapacity = capacity * 2
        while newCapacity < count + n { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    mutating func raw(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func text(_ text: String) {
        Emitter.withUTF8(text) { append($0) }
    }

    @inline(__always)
    mutating func spaces(_ n: Int) {
        guard n > 0 else { return }
        // Eight at a time, rounded up: an indent is a few spaces, and a call to
        // memset for each of 44,000 lines cost more than the stores.
        reserve(n + 8)
        let target = UnsafeMutableRawPointer(base + count)
        var i = 0
        while i < n {
            target.storeBytes(of: 0x2020_2020_2020_2020 as UInt64, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        count += n
    }

    /// A string scalar: plain when safe, else double-quoted.
    mutating func string(_ value: String) {
        Emitter.withUTF8(value) { bytes in
            if Emitter.needsQuotes(bytes) { doubleQuoted(bytes) } else { escaped(bytes) }
        }
    }

    /// A mapping key: never interpolated, so never escaped.
    mutating func key(_ value: String, json: Bool = false) {
        let saved = escapeDollars
        escapeDollars = false
        if json { doubleQuoted(value) } else { string(value) }
        escapeDollars = saved
    }

    /// Text as is, but with `$` doubled when asked.
    mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard escapeDollars, bytes.contains(.dollar) else { return append(bytes) }
        for b in bytes {
            byte(b)
            if b == .dollar { byte(b) }
        }
    }

    mutating func doubleQuoted(_ value: String) {
        Emitter.withUTF8(value) { doubleQuoted($0) }
    }

    mutating func doubleQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        byte(.quote)
        var start = 0
        for i in 0..<utf8.count {
            let b = utf8[i]
            let escape: StaticString?
            switch b {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\t"): escape = "\\t"
            case UInt8(ascii: "\r"): escape = "\\r"
            case .dollar where escapeDollars: escape = "$$"
            case 0..<0x20, 0x7F: escape = ""
            default: escape = nil
            }
            guard let escape else { continue }
            append(UnsafeBufferPointer(rebasing: utf8[start..<i]))
            if escape.utf8CodeUnitCount > 0 {
                raw(escape)
            } else {
                // `\u00XX`, lower-case hex.
                let hex = Array(String(b, radix: 16).utf8)
                raw("\\u")
                for _ in 0..<(4 - hex.count) { byte(UInt8(ascii: "0")) }
                hex.withUnsafeBufferPointer { append($0) }
            }
            start = i + 1
        }
        append(UnsafeBufferPointer(rebasing: utf8[start...]))
        byte(.quote)
    }

    // MARK: - YAML

    mutating func yamlDocument(_ node: Node) {
        switch node.value {
        case .mapping(let entries) where !entries.isEmpty:
            yamlMapping(node, entries, indent: 0)
        case .sequence(let items) where !items.isEmpty:
            yamlSequence(items, indent: 0)
        default:
            yamlScalarOrEmpty(node)
            byte(.newline)
        }
    }

    /// The entries of a mapping, each `key:` on its own line at `indent`.
    mutating func yamlMapping(_ node: Node, _ entries: [Node.Entry], indent: Int) {
        if Emitter.inOrder(node, entries) {
            for i in entries.indices { yamlEntry(entries[i], indent: indent) }
        } else {
            for i in Emitter.sortedPositions(entries) { yamlEntry(entries[i], indent: indent) }
        }
    }

    @inline(__always)
    mutating func yamlEntry(_ e: Node.Entry, indent: Int) {
        spaces(indent)
        key(e.key)
        byte(.colon)
        yamlValue(e.value, indent: indent)
    }

    /// What follows `key:`: a scalar on the same line, a collection below.
    mutating func yamlValue(_ value: Node, indent: Int) {
        switch value.value {
        case .mapping(let entries) where !entries.isEmpty:
            byte(.newline)
            yamlMapping(value, entries, indent: indent + 2)
        case .sequence(let items) where !items.isEmpty:
            byte(.newline)
            yamlSequence(items, indent: indent + 2)
        default:
            byte(.space)
            yamlScalarOrEmpty(value)
            byte(.newline)
        }
    }

    mutating func yamlSequence(_ items: [Node], indent: Int) {
        for item in items {
            spaces(indent)
            byte(.dash)
            switch item.value {
            case .mapping(let entries) where !entries.isEmpty:
                // `- key: value` with the rest of the mapping aligned under the first key.
                byte(.space)
                if Emitter.inOrder(item, entries) {
                    for i in entries.indices { yamlItemEntry(entries[i], first: i == 0, indent: indent) }
                } else {
                    for (n, i) in Emitter.sortedPositions(entries).enumerated() {
                        yamlItemEntry(entries[i], first: n == 0, indent: indent)
                    }
                }
            case .sequence(let nested) where !nested.isEmpty:
                byte(.newline)
                yamlSequence(nested, indent: indent + 2)
            default:
                byte(.space)
                yamlScalarOrEmpty(item)
                byte(.newline)
            }
        }
    }

    @inline(__always)
    mutating func yamlItemEntry(_ e: Node.Entry, first: Bool, indent: Int) {
        if !first { spaces(indent + 2) }
        key(e.key)
        byte(.colon)
        yamlValue(e.value, indent: indent + 2)
    }

    mutating func yamlScalarOrEmpty(_ node: Node) {
        switch node.value {
        case .mapping: raw("{}")
        case .sequence: raw("[]")
        case .scalar(let value, let style):
            if style == .plain, ScalarType.resolve(value) != .string {
                if ScalarType.isNull(value) { raw("null") } else { text(value) }
            } else {
                string(value)
            }
        }
    }

    // MARK: - JSON

    mutating func jsonDocument(_ node: Node) {
        json(node, indent: 0)
        if indented { byte(.newline) }
    }

    mutating func newlineAndIndent(_ n: Int) {
        guard indented else { return }
        byte(.newline)
        spaces(n)
    }

    mutating func json(_ node: Node, indent: Int) {
        switch node.value {
        case .mapping(let entries):
            if entries.isEmpty { return raw("{}") }
            byte(UInt8(ascii: "{"))
            if Emitter.inOrder(node, entries) {
                for i in entries.indices { jsonEntry(entries[i], first: i == 0, indent: indent) }
            } else {
                for (n, i) in Emitter.sortedPositions(entries).enumerated() {
                    jsonEntry(entries[i], first: n == 0, indent: indent)
                }
            }
            newlineAndIndent(indent)
            byte(UInt8(ascii: "}"))
        case .sequence(let items):
            if items.isEmpty { return raw("[]") }
            byte(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                newlineAndIndent(indent + 2)
                json(item, indent: indent + 2)
            }
            newlineAndIndent(indent)
            byte(UInt8(ascii: "]"))
        case .scalar(let value, let style):
            guard style == .plain else { return doubleQuoted(value) }
            switch ScalarType.resolve(value) {
            case .null: raw("null")
            case .bool: ScalarType.bool(value) == true ? raw("true") : raw("false")
            case .int: text(String(ScalarType.int(value) ?? 0))
            case .float:
                // JSON has no `+1.5`, `.5` or infinities.
                if let number = ScalarType.float(value), number.isFinite {
                    text(String(number))
                } else {
                    doubleQuoted(value)
                }
            case .string: doubleQuoted(value)
            }
        }
    }

    @inline(__always)
    mutating func jsonEntry(_ e: Node.Entry, first: Bool, indent: Int) {
        if !first { byte(UInt8(ascii: ",")) }
        newlineAndIndent(indent + 2)
        key(e.key, json: true)
        byte(.colon)
        if indented { byte(.space) }
        json(e.value, indent: indent + 2)
    }
}
