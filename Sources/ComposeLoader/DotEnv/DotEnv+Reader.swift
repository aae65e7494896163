extension DotEnv {
    /// Reads a .env text statement by statement: where it is, the line it is
    /// on, and the keys defined so far.
    struct Reader {
        let s: [Unicode.Scalar]
        let n: Int
        /// The next scalar to read.
        var i: Int
        /// The 1-based line `i` is on.
        var line = 1
        /// Keys in order of first definition, each with its last value.
        var entries: [(key: String, value: String)] = []
        private var position: [String: Int] = [:]

        init(_ text: String) {
            s = Array(text.unicodeScalars)
            n = s.count
            // Windows editors add a BOM; compose-go drops it so the first key stays valid.
            i = s.first == "\u{FEFF}" ? 1 : 0
        }

        /// Skips blank space and `#` comment lines; false at the end of the text.
        mutating func skipBlankLines() -> Bool {
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
            return i < n
        }

        /// One statement: `[export ]KEY=VALUE`, `KEY: VALUE` or a bare `KEY`.
        mutating func readStatement(lookup: (String) -> String?) throws(DotEnvError) {
            // `export` must be followed by white space, so `exportFOO=1` is the key `exportFOO`.
            if hasExportPrefix() {
                i += 6
                while i < n && DotEnv.isInlineSpace(s[i]) { i += 1 }
            }
            let (key, terminator) = try readKey()
            guard let terminator, terminator != "\n" else {
                // A bare `KEY` inherits from the environment. compose-go also meant this at the
                // end of the file, though its loop turns that case into an empty key.
                if !key.isEmpty, let value = lookup(key) { define(key, value) }
                // compose-go skips this count when the key had trailing blanks, so its later
                // line numbers drift; ours do not.
                if terminator != nil { line += 1 }
                i += 1
                return
            }
            i += 1
            while i < n && DotEnv.isInlineSpace(s[i]) { i += 1 }
            if i < n, s[i] == "\"" || s[i] == "'" {
                try readQuotedValue(of: key, lookup: lookup)
            } else {
                try readUnquotedValue(of: key, lookup: lookup)
            }
        }

        /// Sets `key` (where it was first defined, when it was).
        mutating func define(_ key: String, _ value: String) {
            if let p = position[key] {
                entries[p].value = value
            } else {
                position[key] = entries.count
                entries.append((key, value))
            }
        }

        /// `raw` with its variables substituted: from `lookup`, then from keys defined above.
        func interpolate(_ raw: String, line: Int, lookup: (String) -> String?) throws(DotEnvError) -> String {
            do {
                return try Interpolation.substitute(raw) { name in
                    lookup(name) ?? position[name].map { entries[$0].value }
                }
            } catch {
                throw DotEnvError(line: line, message: error.message)
            }
        }
    }
}
