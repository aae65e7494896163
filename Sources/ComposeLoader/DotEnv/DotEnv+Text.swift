extension DotEnv {
    /// compose-go's `isSpace`: blanks that do not end a line.
    static func isInlineSpace(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "\t", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}": true
        default: false
        }
    }

    /// The text from `start` to the end of its line. A quoted message shows a CRLF file's `\r`
    /// as compose-go does; a raw one drops it so it cannot garble a terminal.
    static func restOfLine(_ s: [Unicode.Scalar], _ start: Int, keepCR: Bool = false) -> String {
        var end = start
        while end < s.count && s[end] != "\n" { end += 1 }
        if !keepCR && end > start && s[end - 1] == "\r" { end -= 1 }
        return string(s[start..<end])
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Go's `%q` (strconv.Quote), so messages read like compose-go's and show invisible
    /// characters: `\f`, `\x1b`, `\u00a0`.
    static func goQuoted(_ text: String) -> String {
        var out = "\""
        for c in text.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            case " ": out += " "
            default:
                if isPrintable(c) {
                    out.unicodeScalars.append(c)
                } else {
                    let hex = String(c.value, radix: 16)
                    let width = c.value < 0x80 ? 2 : c.value <= 0xFFFF ? 4 : 8
                    let prefix = c.value < 0x80 ? "\\x" : c.value <= 0xFFFF ? "\\u" : "\\U"
                    out += prefix + String(repeating: "0", count: max(0, width - hex.count)) + hex
                }
            }
        }
        return out + "\""
    }

    /// Go's `unicode.IsPrint` minus the ASCII space: letters, marks, numbers, punctuation, symbols.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .format, .surrogate,
            .privateUse, .unassigned:
            return false
        default:
            return true
        }
    }
}
