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
        var reader = Reader(text)
        while reader.skipBlankLines() {
            try reader.readStatement(lookup: lookup)
        }
        return reader.entries
    }
}
