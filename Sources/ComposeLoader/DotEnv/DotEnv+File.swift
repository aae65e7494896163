import BerthModel

extension DotEnv {
    /// Reads and parses a `.env` file: the one way `.env`, `--env-file`,
    /// an include's env files and `env_file:` are read, so they take the same
    /// text checks and report errors the same way (file and line).
    static func read(_ path: String, lookup: (String) -> String?) throws(BerthError) -> [(key: String, value: String)] {
        let bytes = try FileSystem.read(path)
        try TextCheck.check(bytes, path: path)
        do {
            return try parse(String(decoding: bytes, as: UTF8.self), lookup: lookup)
        } catch {
            throw BerthError(
                .invalidCompose, error.message, location: SourceLocation(file: path, line: error.line, column: 1))
        }
    }
}
