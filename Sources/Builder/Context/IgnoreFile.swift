/// A `.dockerignore` file's lines as patterns, read as docker reads them: a
/// line that begins with `#` is a comment, blanks around a pattern go, a
/// pattern is cleaned like a path, and a leading `/` is dropped (patterns
/// are relative to the context's root either way).
enum IgnoreFile {
    static func patterns(_ bytes: [UInt8]) -> [String] {
        var text = bytes[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        var patterns: [String] = []
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") { continue }
            var pattern = String(line).trimmingBlanks
            if pattern.isEmpty { continue }
            let isException = pattern.hasPrefix("!")
            if isException { pattern = String(pattern.dropFirst()).trimmingBlanks }
            if !pattern.isEmpty {
                pattern = Paths.clean(pattern)
                if pattern.count > 1 && pattern.hasPrefix("/") { pattern.removeFirst() }
            }
            patterns.append(isException ? "!" + pattern : pattern)
        }
        return patterns
    }
}
