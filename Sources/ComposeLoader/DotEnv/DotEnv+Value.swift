extension DotEnv.Reader {
    /// An unquoted value: to the end of the line, cut at ` #`, trimmed, then interpolated.
    mutating func readUnquotedValue(of key: String, lookup: (String) -> String?) throws(DotEnvError) {
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
        define(key, try interpolate(DotEnv.string(s[i..<valueEnd]), line: line, lookup: lookup))
        line += 1
        i = lineEnd + 1
    }

    /// A quoted value: up to the matching unescaped quote, across lines. Only
    /// `\<quote>` loses its backslash here; a double-quoted value then expands
    /// the other escapes and is interpolated, a single-quoted one is literal.
    /// Whatever follows on the line (a comment, usually) is read as a new statement.
    mutating func readQuotedValue(of key: String, lookup: (String) -> String?) throws(DotEnvError) {
        let valueLine = line
        let quote = s[i]
        var chars: [Unicode.Scalar] = []
        var escaped = false
        var close: Int? = nil
        var j = i + 1
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
            throw DotEnvError(line: valueLine, message: "unterminated quoted value " + DotEnv.restOfLine(s, i))
        }
        if quote == "\"" {
            define(key, try interpolate(DotEnv.expandEscapes(chars), line: valueLine, lookup: lookup))
        } else {
            define(key, DotEnv.string(chars[...]))
        }
        i = close + 1
    }
}

extension DotEnv {
    /// Expands the shell escapes compose-go accepts in double quotes: `\a \b \f \n \r \t \v
    /// \\ \"`, XSI octal `\0NNN`, and `\$`, which becomes `$$` so interpolation leaves a
    /// literal `$`. Anything else (`\x41`, `\u00e9`, `\q`) keeps its backslash.
    static func expandEscapes(_ chars: [Unicode.Scalar]) -> String {
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

    static func decimal(_ c: Unicode.Scalar) -> UInt32? {
        c.value >= 0x30 && c.value <= 0x39 ? c.value - 0x30 : nil
    }
}
