extension String {
    /// The text as Go's `%q` (`strconv.Quote`) writes it: in double quotes,
    /// with `\"`, `\\`, the C escapes (`\n`, `\t`, `\f` …), `\x..` for other
    /// ASCII controls and `\u....`/`\U........` for characters that do not
    /// print. Messages that compose-go writes this way (a `.env` error) and
    /// the history BuildKit writes (`CMD ["sh" "-c" "…"]`) read the same in
    /// Berth.
    public var goQuoted: String {
        var out = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if scalar == " " || Self.isGoPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value < 0x80 {
                    out += "\\x" + Self.hex(scalar.value, width: 2)
                } else if scalar.value <= 0xFFFF {
                    out += "\\u" + Self.hex(scalar.value, width: 4)
                } else {
                    out += "\\U" + Self.hex(scalar.value, width: 8)
                }
            }
        }
        return out + "\""
    }

    /// Go's `unicode.IsPrint` minus the ASCII space: letters, marks,
    /// numbers, punctuation, symbols.
    private static func isGoPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .format, .surrogate,
            .privateUse, .unassigned:
            return false
        default:
            return true
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}
