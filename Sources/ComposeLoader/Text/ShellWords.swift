/// Splits a command string as a POSIX shell would (quotes and backslashes),
/// without expanding anything: what compose does with `command: "a b"`.
enum ShellWords {
    /// The words, or nil when a quote is left open.
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "\\":
                inWord = true
                if let next = iterator.next() { current.append(next) }
            case "'":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "'" { closed = true; break }
                    current.append(q)
                }
                if !closed { return nil }
            case "\"":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "\"" { closed = true; break }
                    if q == "\\" {
                        guard let escaped = iterator.next() else { return nil }
                        if escaped != "\"" && escaped != "\\" && escaped != "$" && escaped != "`" && escaped != "\n" {
                            current.append("\\")
                        }
                        if escaped != "\n" { current.append(escaped) }
                        continue
                    }
                    current.append(q)
                }
                if !closed { return nil }
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
