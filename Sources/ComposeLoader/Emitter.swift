/// Prints canonical trees as YAML or JSON, the way `docker compose config` does:
/// block style, two-space indents, mapping keys sorted (except where a node
/// is tagged `.ordered`), strings quoted only when they would read back as
/// something else.
///
/// Output goes into a byte buffer: a thousand-service project prints in a
/// few milliseconds, and the config hash is taken over the same bytes.
public enum Emitter {
    /// The tree as YAML text, ending with a newline.
    ///
    /// `escapeDollars` writes each `$` as `$$`, as `docker compose config`
    /// does, so that the printed file reads back to the same values through
    /// interpolation.
    public static func yaml(_ node: Node, escapeDollars: Bool = false) -> String {
        String(decoding: yamlBytes(node, escapeDollars: escapeDollars), as: UTF8.self)
    }

    /// The tree as JSON text, indented by two spaces, ending with a newline.
    public static func json(_ node: Node, escapeDollars: Bool = false) -> String {
        String(decoding: jsonBytes(node, indented: true, escapeDollars: escapeDollars), as: UTF8.self)
    }

    /// YAML as UTF-8 bytes.
    public static func yamlBytes(_ node: Node, escapeDollars: Bool = false) -> [UInt8] {
        var out = Output()
        out.escapeDollars = escapeDollars
        switch node.value {
        case .mapping(let entries) where !entries.isEmpty:
            out.yamlMapping(sorted(node, entries), indent: 0)
        case .sequence(let items) where !items.isEmpty:
            out.yamlSequence(items, indent: 0)
        default:
            out.yamlScalarOrEmpty(node)
            out.byte(.newline)
        }
        return out.bytes
    }

    /// JSON as UTF-8 bytes; `indented: false` gives the compact form the hash uses.
    public static func jsonBytes(_ node: Node, indented: Bool, escapeDollars: Bool = false) -> [UInt8] {
        var out = Output()
        out.escapeDollars = escapeDollars
        out.indented = indented
        out.json(node, indent: 0)
        if indented { out.byte(.newline) }
        return out.bytes
    }

    static func sorted(_ node: Node, _ entries: [Node.Entry]) -> [Node.Entry] {
        if node.tag == .ordered || entries.count < 2 { return entries }
        // Canonical mappings are often sorted already; checking is cheaper than sorting.
        var sorted = true
        for i in 1..<entries.count where !(entries[i - 1].key < entries[i].key) {
            sorted = false
            break
        }
        return sorted ? entries : entries.sorted { $0.key < $1.key }
    }

    /// Bytes that never need quoting anywhere in a block-context plain scalar.
    @inline(__always)
    private static func plainSafe(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x80...0xFF: return true
        case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "@"),
            UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "^"), UInt8(ascii: "$"):
            return true
        default: return false
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
        var text = text
        return text.withUTF8 { bytes -> Bool in
            guard let first = bytes.first, let last = bytes.last else { return true }
            // Fast path: a name-like string (`svc12`, `/var/lib/app`, `image:tag` has a colon and goes the long way).
            let letter = (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A)
            if (letter && (bytes.count > 5 || !startsWord(first))) || first == UInt8(ascii: "/") || first == UInt8(ascii: "_") {
                var safe = true
                for b in bytes where !plainSafe(b) {
                    safe = false
                    break
                }
                if safe { return false }
            }
            // Only short words and number-like text can read back as something
            // else; test those without making a String of every scalar.
            let numberLike = bytes.allSatisfy { b in
                (b >= 48 && b <= 57) || b == 43 || b == 45 || b == 46 || b == 95 || b == 101 || b == 69 || b == 120 || b == 111
                    || (b >= 97 && b <= 102) || (b >= 65 && b <= 70)
            }
            switch first {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "~"),
                UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"),
                UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "="), UInt8(ascii: "<"):
                guard bytes.count <= 5 || numberLike || first == UInt8(ascii: ".") else { break }
                if ScalarType.resolve(String(decoding: bytes, as: UTF8.self)) != .string { return true }
                switch String(decoding: bytes, as: UTF8.self) {
                // Words YAML 1.1 readers take as booleans; quoting keeps older tools reading a string.
                case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "=", "<<":
                    return true
                default: break
                }
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
                // Indicators only when followed by a space or alone; "-1" is a number.
                if bytes.count == 1 || bytes[1] == UInt8(ascii: " ") { return true }
                if first == UInt8(ascii: "-"), numberLike || bytes.count <= 5,
                   ScalarType.resolve(String(decoding: bytes, as: UTF8.self)) != .string { return true }
            case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"),
                UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"),
                UInt8(ascii: "`"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                return true
            default: break
            }
            if last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || last == UInt8(ascii: ":") { return true }
            var previous: UInt8 = 0
            for byte in bytes {
                if byte < 0x20 || byte == 0x7F { return true }
                if previous == UInt8(ascii: ":") && byte == UInt8(ascii: " ") { return true }
                if previous == UInt8(ascii: " ") && byte == UInt8(ascii: "#") { return true }
                previous = byte
            }
            return false
        }
    }

    /// A double-quoted scalar, valid in both YAML and JSON.
    static func doubleQuoted(_ text: String) -> String {
        var out = Output()
        out.doubleQuoted(text)
        return String(decoding: out.bytes, as: UTF8.self)
    }
}

extension UInt8 {
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let quote = UInt8(ascii: "\"")
}

/// The byte buffer the emitter writes into.
private struct Output {
    var bytes: [UInt8] = []
    var indented = true
    var escapeDollars = false

    init() { bytes.reserveCapacity(1 << 16) }

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func text(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func spaces(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(UInt8.space, count: n)) }
    }

    /// A string scalar: plain when safe, else double-quoted.
    mutating func string(_ value: String) {
        if Emitter.needsQuotes(value) { doubleQuoted(value) } else { escaped(value) }
    }

    /// A mapping key: never interpolated, so never escaped.
    mutating func key(_ value: String, json: Bool = false) {
        let saved = escapeDollars
        escapeDollars = false
        if json { doubleQuoted(value) } else { string(value) }
        escapeDollars = saved
    }

    /// Text as is, but with `$` doubled when asked.
    mutating func escaped(_ value: String) {
        guard escapeDollars, value.containsByte(UInt8(ascii: "$")) else { return text(value) }
        for b in value.utf8 {
            bytes.append(b)
            if b == UInt8(ascii: "$") { bytes.append(b) }
        }
    }

    mutating func doubleQuoted(_ value: String) {
        var value = value
        byte(.quote)
        value.withUTF8 { utf8 in
            var start = 0
            for (i, b) in utf8.enumerated() {
                let escape: StaticString?
                switch b {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case UInt8(ascii: "\n"): escape = "\\n"
                case UInt8(ascii: "\t"): escape = "\\t"
                case UInt8(ascii: "\r"): escape = "\\r"
                case UInt8(ascii: "$") where escapeDollars: escape = "$$"
                case 0..<0x20, 0x7F: escape = ""
                default: escape = nil
                }
                guard let escape else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                if escape.utf8CodeUnitCount > 0 {
                    raw(escape)
                } else {
                    let hex = Array(String(b, radix: 16).utf8)
                    raw("\\u")
                    bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 4 - hex.count))
                    bytes.append(contentsOf: hex)
                }
                start = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        byte(.quote)
    }

    mutating func yamlMapping(_ entries: [Node.Entry], indent: Int) {
        for e in entries {
            spaces(indent)
            key(e.key)
            byte(UInt8(ascii: ":"))
            yamlValue(e.value, indent: indent)
        }
    }

    /// What follows `key:`: a scalar on the same line, a collection below.
    mutating func yamlValue(_ value: Node, indent: Int) {
        switch value.value {
        case .mapping(let entries) where !entries.isEmpty:
            byte(.newline)
            yamlMapping(Emitter.sorted(value, entries), indent: indent + 2)
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
            byte(UInt8(ascii: "-"))
            switch item.value {
            case .mapping(let entries) where !entries.isEmpty:
                // `- key: value` with the rest of the mapping aligned under the first key.
                byte(.space)
                var first = true
                for e in Emitter.sorted(item, entries) {
                    if !first { spaces(indent + 2) }
                    first = false
                    key(e.key)
                    byte(UInt8(ascii: ":"))
                    yamlValue(e.value, indent: indent + 2)
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
            for (i, e) in Emitter.sorted(node, entries).enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                newlineAndIndent(indent + 2)
                key(e.key, json: true)
                byte(UInt8(ascii: ":"))
                if indented { byte(.space) }
                json(e.value, indent: indent + 2)
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
}
