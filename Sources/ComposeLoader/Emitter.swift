/// Prints canonical trees as YAML or JSON, the way `docker compose config` does:
/// block style, two-space indents, mapping keys sorted (except where a node
/// is tagged `.ordered`), strings quoted only when they would read back as
/// something else.
public enum Emitter {
    /// The tree as YAML text, ending with a newline.
    public static func yaml(_ node: Node) -> String {
        var out = ""
        out.reserveCapacity(1 << 16)
        switch node.value {
        case .mapping(let entries) where !entries.isEmpty:
            yamlMapping(sorted(node, entries), indent: 0, into: &out)
        case .sequence(let items) where !items.isEmpty:
            yamlSequence(items, indent: 0, into: &out)
        default:
            yamlScalarOrEmpty(node, into: &out)
            out += "\n"
        }
        return out
    }

    /// The tree as JSON text, indented by two spaces, ending with a newline.
    public static func json(_ node: Node) -> String {
        var out = ""
        out.reserveCapacity(1 << 16)
        json(node, indent: 0, into: &out)
        out += "\n"
        return out
    }

    static func sorted(_ node: Node, _ entries: [Node.Entry]) -> [Node.Entry] {
        node.tag == .ordered ? entries : entries.sorted { $0.key < $1.key }
    }

    private static func spaces(_ n: Int, into out: inout String) {
        for _ in 0..<n { out += " " }
    }

    private static func yamlMapping(_ entries: [Node.Entry], indent: Int, into out: inout String) {
        for e in entries {
            spaces(indent, into: &out)
            out += quotedIfNeeded(e.key, isKey: true)
            out += ":"
            yamlValue(e.value, indent: indent, into: &out)
        }
    }

    /// Writes what follows `key:` or `- `: a scalar on the same line, a collection below.
    private static func yamlValue(_ value: Node, indent: Int, into out: inout String) {
        switch value.value {
        case .mapping(let entries) where !entries.isEmpty:
            out += "\n"
            yamlMapping(sorted(value, entries), indent: indent + 2, into: &out)
        case .sequence(let items) where !items.isEmpty:
            out += "\n"
            yamlSequence(items, indent: indent + 2, into: &out)
        default:
            out += " "
            yamlScalarOrEmpty(value, into: &out)
            out += "\n"
        }
    }

    private static func yamlSequence(_ items: [Node], indent: Int, into out: inout String) {
        for item in items {
            spaces(indent, into: &out)
            out += "-"
            switch item.value {
            case .mapping(let entries) where !entries.isEmpty:
                // `- key: value` with the rest of the mapping aligned under the first key.
                let ordered = sorted(item, entries)
                out += " "
                var first = true
                for e in ordered {
                    if !first { spaces(indent + 2, into: &out) }
                    first = false
                    out += quotedIfNeeded(e.key, isKey: true)
                    out += ":"
                    yamlValue(e.value, indent: indent + 2, into: &out)
                }
            case .sequence(let nested) where !nested.isEmpty:
                out += "\n"
                yamlSequence(nested, indent: indent + 2, into: &out)
            default:
                out += " "
                yamlScalarOrEmpty(item, into: &out)
                out += "\n"
            }
        }
    }

    private static func yamlScalarOrEmpty(_ node: Node, into out: inout String) {
        switch node.value {
        case .mapping: out += "{}"
        case .sequence: out += "[]"
        case .scalar(let text, let style):
            if style == .plain, ScalarType.resolve(text) != .string {
                out += ScalarType.isNull(text) ? "null" : text
            } else {
                out += quotedIfNeeded(text, isKey: false)
            }
        }
    }

    /// The text as a YAML plain scalar when it reads back as the same string, else double-quoted.
    static func quotedIfNeeded(_ text: String, isKey: Bool) -> String {
        needsQuotes(text) ? doubleQuoted(text) : text
    }

    private static func needsQuotes(_ text: String) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last else { return true }
        if ScalarType.resolve(text) != .string { return true }
        switch first {
        case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
            // Indicators only when followed by a space or alone.
            let bytes = Array(text.utf8.prefix(2))
            if bytes.count == 1 || bytes[1] == UInt8(ascii: " ") { return true }
        case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
            UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"),
            UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"),
            UInt8(ascii: "`"), UInt8(ascii: " "), UInt8(ascii: "\t"):
            return true
        default: break
        }
        if last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || last == UInt8(ascii: ":") { return true }
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F { return true }
            if previous == UInt8(ascii: ":") && byte == UInt8(ascii: " ") { return true }
            if previous == UInt8(ascii: " ") && byte == UInt8(ascii: "#") { return true }
            previous = byte
        }
        // Words YAML 1.1 readers take as booleans; quoting keeps older tools reading a string.
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "=", "<<":
            return true
        default:
            return false
        }
    }

    /// A double-quoted scalar, valid in both YAML and JSON.
    static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    private static func json(_ node: Node, indent: Int, into out: inout String) {
        switch node.value {
        case .mapping(let entries):
            if entries.isEmpty {
                out += "{}"
                return
            }
            out += "{\n"
            let ordered = sorted(node, entries)
            for (i, e) in ordered.enumerated() {
                spaces(indent + 2, into: &out)
                out += doubleQuoted(e.key)
                out += ": "
                json(e.value, indent: indent + 2, into: &out)
                out += i == ordered.count - 1 ? "\n" : ",\n"
            }
            spaces(indent, into: &out)
            out += "}"
        case .sequence(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                spaces(indent + 2, into: &out)
                json(item, indent: indent + 2, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            spaces(indent, into: &out)
            out += "]"
        case .scalar(let text, let style):
            guard style == .plain else {
                out += doubleQuoted(text)
                return
            }
            switch ScalarType.resolve(text) {
            case .null: out += "null"
            case .bool: out += ScalarType.bool(text) == true ? "true" : "false"
            case .int: out += String(ScalarType.int(text) ?? 0)
            case .float:
                let value = ScalarType.float(text) ?? 0
                out += value.isFinite ? text.hasPrefix("+") ? String(text.dropFirst()) : text.hasPrefix(".") ? "0" + text : text : doubleQuoted(text)
            case .string: out += doubleQuoted(text)
            }
        }
    }
}
