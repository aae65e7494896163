import BerthModel

extension DotEnv.Reader {
    /// The key of a statement, which runs to `=`, `:` (YAML style) or the end
    /// of the line, and what ended it (nil at the end of the text); `i` is
    /// left on that terminator. Keys are letters and digits of any script
    /// and `_ . - [ ]`.
    mutating func readKey() throws(DotEnvError) -> (key: String, terminator: Unicode.Scalar?) {
        let keyStart = i
        var terminator: Unicode.Scalar? = nil
        scan: while i < n {
            let c = s[i]
            switch c {
            case "=", ":", "\n":
                terminator = c
                break scan
            case "_", ".", "-", "[", "]":
                i += 1
            default:
                guard DotEnv.isInlineSpace(c) || DotEnv.isLetterOrNumber(c) else {
                    throw DotEnvError(
                        line: line,
                        message: "unexpected character \(String(c).goQuoted) in variable name "
                            + DotEnv.restOfLine(s, keyStart, keepCR: true).goQuoted)
                }
                i += 1
            }
        }
        var keyEnd = i
        while keyEnd > keyStart && s[keyEnd - 1].properties.isWhitespace { keyEnd -= 1 }
        // Like compose-go, only an inner ' ' is an error; `A\tB` passes as a (strange) key.
        if s[keyStart..<keyEnd].contains(" ") {
            throw DotEnvError(line: line, message: "key cannot contain a space")
        }
        return (DotEnv.string(s[keyStart..<keyEnd]), terminator)
    }

    /// `export` followed by one of `[\t\n\f\r ]` (Go's `\s`).
    func hasExportPrefix() -> Bool {
        guard i + 6 < n else { return false }
        for (offset, letter) in "export".unicodeScalars.enumerated() where s[i + offset] != letter {
            return false
        }
        return ["\t", "\n", "\u{0C}", "\r", " "].contains(s[i + 6])
    }
}

extension DotEnv {
    /// Go's `unicode.IsLetter || unicode.IsNumber`, so `ÁRVÍZ=1` is a valid key.
    static func isLetterOrNumber(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            let v = c.value | 0x20
            return (v >= 0x61 && v <= 0x7A) || (c.value >= 0x30 && c.value <= 0x39)
        }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
