/// Why a `.env` file could not be parsed; the caller adds the file name.
struct DotEnvError: Error, Equatable {
    /// 1-based line where the offending statement (or quoted value) starts.
    var line: Int
    /// What is wrong, e.g. `unexpected character "!" in variable name "FOO!=1"`.
    var message: String
}

/// The `.env` format as compose-go's `dotenv` package reads it (for the project `.env`,
/// `--env-file` and a service's `env_file`).
///
/// A statement is `[export ]KEY=VALUE`, `KEY: VALUE` or a bare `KEY`. Keys are letters, digits
/// (any script), `_ . - [ ]`. Values are unquoted (trimmed, ` #` starts a comment,
/// interpolated), single-quoted (literal, only `\'` unescaped) or double-quoted (escapes, may
/// span lines, interpolated). Where compose-go is lenient we are too: text after a closing
/// quote is read as the next statement, `=value` defines the empty key.
///
/// We part from compose-go only where its result is an accident: a bare `KEY` on the last
/// line without a newline is inherited (compose-go makes it the value of an empty key), a file
/// ending in `export ` is fine (compose-go: "zero length string"), an unterminated quote is
/// reported at the line it opens (compose-go: the last line of the file), and line numbers
/// stay right after a bare `KEY ` with trailing blanks.
enum DotEnv {
    /// Parses the text of a .env file into its keys, in order of first definition, each with
    /// its last value.
    ///
    /// `${VAR}` references in unquoted and double-quoted values resolve through `lookup` first,
    /// then through keys defined earlier in the same file: compose-go gives the environment
    /// precedence (its `TestSubstitutionsWithEnvFilePrecedence`). A bare `KEY` takes its value
    /// from `lookup` and is skipped when unset there.
    static func parse(
        _ text: String, lookup: (String) -> String?
    ) throws(DotEnvError) -> [(key: String, value: String)] {
        let s = Array(text.unicodeScalars)
        let n = s.count
        // Windows editors add a BOM; compose-go drops it so the first key stays valid.
        var i = s.first == "\u{FEFF}" ? 1 : 0
        var line = 1
        var entries: [(key: String, value: String)] = []
        var position: [String: Int] = [:]

        func define(_ key: String, _ value: String) {
            if let p = position[key] {
                entries[p].value = value
            } else {
                position[key] = entries.count
                entries.append((key, value))
            }
        }
        func interpolate(_ raw: String, line: Int) throws(DotEnvError) -> String {
            do {
                return try Interpolation.substitute(raw) { name in
                    lookup(name) ?? position[name].map { entries[$0].value }
                }
            } catch {
                throw DotEnvError(line: line, message: error.message)
            }
        }

        while true {
            // Skip blank space and `#` comment lines.
            while i < n {
                let c = s[i]
                if c == "\n" {
                    line += 1
                    i += 1
                } else if c.properties.isWhitespace {
                    i += 1
                } else if c == "#" {
                    while i < n && s[i] != "\n" { i += 1 }
                } else {
                    break
                }
            }
            if i >= n { break }

            // `export` must be followed by white space, so `exportFOO=1` is the key `exportFOO`.
            if hasExportPrefix(s, i) {
                i += 6
                while i < n && isInlineSpace(s[i]) { i += 1 }
            }

            // The key runs to `=`, `:` (YAML style) or the end of the line.
            let keyStart = i
            var j = i
            var terminator: Unicode.Scalar? = nil
            scan: while j < n {
                let c = s[j]
                switch c {
                case "=", ":", "\n":
                    terminator = c
                    break scan
                case "_", ".", "-", "[", "]":
                    j += 1
                default:
                    guard isInlineSpace(c) || isLetterOrNumber(c) else {
                        throw DotEnvError(
                            line: line,
                            message: "unexpected character \(goQuoted(String(c))) in variable name "
                                + goQuoted(restOfLine(s, keyStart, keepCR: true)))
                    }
                    j += 1
                }
            }
            var keyEnd = j
            while keyEnd > keyStart && s[keyEnd - 1].properties.isWhitespace { keyEnd -= 1 }
            // Like compose-go, only an inner ' ' is an error; `A\tB` passes as a (strange) key.
            if s[keyStart..<keyEnd].contains(" ") {
                throw DotEnvError(line: line, message: "key cannot contain a space")
            }
            let key = string(s[keyStart..<keyEnd])

            if terminator == nil || terminator == "\n" {
                // A bare `KEY` inherits from the environment. compose-go also meant this at the
                // end of the file, though its loop turns that case into an empty key.
                if !key.isEmpty, let value = lookup(key) { define(key, value) }
                // compose-go skips this count when the key had trailing blanks, so its later
                // line numbers drift; ours do not.
                if terminator != nil { line += 1 }
                i = j + 1
                continue
            }

            i = j + 1
            while i < n && isInlineSpace(s[i]) { i += 1 }
            let valueLine = line

            guard i < n, s[i] == "\"" || s[i] == "'" else {
                // Unquoted: to the end of the line, cut at ` #`, trimmed, then interpolated.
                var lineEnd = i
                while lineEnd < n && s[lineEnd] != "\n" { lineEnd += 1 }
                var valueEnd = lineEnd
                var k = i
                while k + 1 < lineEnd {
                    if s[k] == " " && s[k + 1] == "#" {
                        valueEnd = k
                        break
                    }
                    k += 1
                }
                while valueEnd > i && s[valueEnd - 1].properties.isWhitespace { valueEnd -= 1 }
                define(key, try interpolate(string(s[i..<valueEnd]), line: valueLine))
                line += 1
                i = lineEnd + 1
                continue
            }

            // Quoted: up to the matching unescaped quote, across lines. Only `\<quote>` loses its
            // backslash here; double-quoted values expand the other escapes below.
            let quote = s[i]
            var chars: [Unicode.Scalar] = []
            var escaped = false
            var close: Int? = nil
            j = i + 1
            while j < n {
                let c = s[j]
                if c == "\n" { line += 1 }
                if c == quote && !escaped {
                    close = j
                    break
                }
                if c == "\\" && !escaped {
                    escaped = true
                } else {
                    if escaped && c != quote { chars.append("\\") }
                    escaped = false
                    chars.append(c)
                }
                j += 1
            }
            guard let close else {
                throw DotEnvError(line: valueLine, message: "unterminated quoted value " + restOfLine(s, i))
            }
            if quote == "\"" {
                define(key, try interpolate(expandEscapes(chars), line: valueLine))
            } else {
                define(key, string(chars[...]))
            }
            // Whatever follows on the line (a comment, usually) is read as a new statement.
            i = close + 1
        }
        return entries
    }

    /// Expands the shell escapes compose-go accepts in double quotes: `\a \b \f \n \r \t \v
    /// \\ \"`, XSI octal `\0NNN`, and `\$`, which becomes `$$` so interpolation leaves a
    /// literal `$`. Anything else (`\x41`, `\u00e9`, `\q`) keeps its backslash.
    private static func expandEscapes(_ chars: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        var k = 0
        while k < chars.count {
            let c = chars[k]
            guard c == "\\", k + 1 < chars.count else {
                out.append(c)
                k += 1
                continue
            }
            let d = chars[k + 1]
            let simple: Unicode.Scalar? =
                switch d {
                case "a": "\u{07}"
                case "b": "\u{08}"
                case "f": "\u{0C}"
                case "n": "\n"
                case "r": "\r"
                case "t": "\t"
                case "v": "\u{0B}"
                case "\\": "\\"
                case "\"": "\""
                default: nil
                }
            if let simple {
                out.append(simple)
                k += 2
            } else if d == "$" {
                out.append(contentsOf: "$$".unicodeScalars)
                k += 2
            } else if d == "0" {
                // `\0` plus up to three digits; only exactly three octal digits worth at most
                // 0o377 make a character (Go's UnquoteChar), otherwise the text stays as is.
                var e = k + 2
                var value: UInt32 = 0
                var octal = true
                while e < chars.count && e < k + 5, let digit = decimal(chars[e]) {
                    if digit > 7 { octal = false }
                    value = value * 8 + digit
                    e += 1
                }
                if octal && e == k + 5 && value <= 0o377, let scalar = Unicode.Scalar(value) {
                    out.append(scalar)
                } else {
                    out.append(contentsOf: chars[k..<e])
                }
                k = e
            } else {
                out.append(c)
                k += 1
            }
        }
        return String(out)
    }

    private static func decimal(_ c: Unicode.Scalar) -> UInt32? {
        c.value >= 0x30 && c.value <= 0x39 ? c.value - 0x30 : nil
    }

    /// `export` followed by one of `[\t\n\f\r ]` (Go's `\s`).
    private static func hasExportPrefix(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        guard i + 6 < s.count else { return false }
        for (offset, letter) in "export".unicodeScalars.enumerated() where s[i + offset] != letter {
            return false
        }
        return ["\t", "\n", "\u{0C}", "\r", " "].contains(s[i + 6])
    }

    /// compose-go's `isSpace`: blanks that do not end a line.
    private static func isInlineSpace(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "\t", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}": true
        default: false
        }
    }

    /// Go's `unicode.IsLetter || unicode.IsNumber`, so `ÁRVÍZ=1` is a valid key.
    private static func isLetterOrNumber(_ c: Unicode.Scalar) -> Bool {
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

    /// The text from `start` to the end of its line. A quoted message shows a CRLF file's `\r`
    /// as compose-go does; a raw one drops it so it cannot garble a terminal.
    private static func restOfLine(_ s: [Unicode.Scalar], _ start: Int, keepCR: Bool = false) -> String {
        var end = start
        while end < s.count && s[end] != "\n" { end += 1 }
        if !keepCR && end > start && s[end - 1] == "\r" { end -= 1 }
        return string(s[start..<end])
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Go's `%q` (strconv.Quote), so messages read like compose-go's and show invisible
    /// characters: `\f`, `\x1b`, `\u00a0`.
    private static func goQuoted(_ text: String) -> String {
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
    private static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .format, .surrogate,
            .privateUse, .unassigned:
            return false
        default:
            return true
        }
    }
}
