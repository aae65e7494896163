/// File modes (`0440`, `1777`, `0o755`): always octal, whether YAML read the
/// text as a number or a string. Printed as docker compose prints them
/// (`"0440"`, a string), so the canonical form reads back to the same mode.
enum FileModeText {
    /// The mode, or nil when the text is not an octal mode of at most 07777.
    static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingSpaces)
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, let mode = Int(digits, radix: 8), (0...0o7777).contains(mode) else { return nil }
        return mode
    }

    /// `0` followed by the octal digits.
    static func format(_ mode: Int) -> String {
        "0" + String(mode, radix: 8)
    }
}
