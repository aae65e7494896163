/// Prints `KubeValue` trees as YAML (block style, two-space indents, lists
/// at their key's indentation as kubectl prints them) or as indented JSON.
///
/// A string is printed plain only when it can read back as nothing but that
/// string in YAML 1.1 and 1.2 alike (kubectl and most clusters' tools still
/// read YAML 1.1, where `yes`, `on` and `0755` are not strings); everything
/// else is double-quoted with JSON's escapes, which YAML reads the same way.
public enum KubeEmitter {
    /// Objects as one multi-document YAML stream, `---` between documents.
    public static func yaml(_ objects: [KubeObject]) -> String {
        objects.map { yaml($0.value) }.joined(separator: "---\n")
    }

    /// One value as a YAML document, ending with a newline.
    public static func yaml(_ value: KubeValue) -> String {
        var out = ""
        switch value {
        case .map(let fields) where !fields.isEmpty: mapping(fields, indent: 0, into: &out)
        case .list(let items) where !items.isEmpty: sequence(items, indent: 0, into: &out)
        default: out = scalar(value) + "\n"
        }
        return out
    }

    /// Objects as JSON: one object alone, several as a `v1` `List`, which `kubectl apply -f` takes.
    public static func json(_ objects: [KubeObject]) -> String {
        if objects.count == 1, let only = objects.first { return json(only.value) }
        return json(.object(["apiVersion": "v1", "kind": "List", "items": .list(objects.map(\.value))]))
    }

    /// One value as indented JSON, ending with a newline.
    public static func json(_ value: KubeValue) -> String {
        var out = ""
        json(value, indent: 0, into: &out)
        return out + "\n"
    }

    private static func mapping(_ fields: [KubeField], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for field in fields {
            out += pad + key(field.key) + ":"
            block(field.value, indent: indent, nested: indent + 2, into: &out)
        }
    }

    /// After `key:` or `- `: a scalar or empty collection on the same line, else the block below.
    private static func block(_ value: KubeValue, indent: Int, nested: Int, into out: inout String) {
        switch value {
        case .map(let fields) where !fields.isEmpty:
            out += "\n"
            mapping(fields, indent: nested, into: &out)
        case .list(let items) where !items.isEmpty:
            out += "\n"
            // kubectl's style: a list under a key starts at the key's column.
            sequence(items, indent: indent, into: &out)
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    private static func sequence(_ items: [KubeValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .map(let fields) where !fields.isEmpty:
                // The first field shares the line with the dash; the rest line up under it.
                var first = ""
                mapping(fields, indent: indent + 2, into: &first)
                out += pad + "- " + first.dropFirst(indent + 2)
            case .list(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                sequence(inner, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + scalar(item) + "\n"
            }
        }
    }

    private static func key(_ text: String) -> String {
        isPlainSafe(text) ? text : quoted(text)
    }

    private static func scalar(_ value: KubeValue) -> String {
        switch value {
        case .string(let s): return isPlainSafe(s) ? s : quoted(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    /// Words YAML 1.1 or 1.2 reads as booleans or null, in any case.
    private static let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]

    /// A letter, `_` or `/` first, then letters, digits and `_./-` only, and no reserved word:
    /// such text cannot be a number, a date, a boolean, null, an alias or an indicator.
    static func isPlainSafe(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        guard letter(first) || first == 95 || first == 47 else { return false }
        for c in text.utf8 {
            let ok = letter(c) || (c >= 48 && c <= 57) || c == 95 || c == 46 || c == 47 || c == 45
            if !ok { return false }
        }
        return !reserved.contains(text.lowercased())
    }

    /// JSON's string form, which is also a YAML double-quoted scalar. Besides
    /// the control characters, DEL, the C1 controls and the Unicode line
    /// separators are escaped: YAML does not allow them printed.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let v = scalar.value
                if v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0x2028 || v == 0x2029 || v == 0xFEFF {
                    let hex = String(v, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func json(_ value: KubeValue, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent + 2)
        switch value {
        case .map(let fields) where !fields.isEmpty:
            out += "{\n"
            for (i, field) in fields.enumerated() {
                out += pad + quoted(field.key) + ": "
                json(field.value, indent: indent + 2, into: &out)
                out += i == fields.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case .list(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                json(item, indent: indent + 2, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .string(let s): out += quoted(s)
        default: out += scalar(value)
        }
    }
}
