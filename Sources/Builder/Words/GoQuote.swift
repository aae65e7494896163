import BerthModel

/// How BuildKit's history spells lists: `CMD ["/bin/sh" "-c" "echo hi"]` is
/// Go's `%q` of a slice (each element quoted as `strconv.Quote` does,
/// separated by spaces), `VOLUME [/data /logs]` its `%v`.
enum GoQuote {
    /// `["a" "b"]`.
    static func quoted(_ list: [String]) -> String {
        "[" + list.map(quote).joined(separator: " ") + "]"
    }

    /// `[a b]`.
    static func plain(_ list: [String]) -> String {
        "[" + list.joined(separator: " ") + "]"
    }

    /// `text` as Go's `strconv.Quote` writes it.
    static func quote(_ text: String) -> String { text.goQuoted }
}
