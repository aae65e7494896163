/// Byte sizes as docker writes them: `512m`, `1g`, `1gb`, `100k`, `1024`, `1.5g`.
enum ByteSize {
    /// Bytes, or nil. Units are binary (k = 1024), case-insensitive, with an
    /// optional `b` or `ib` after the letter.
    static func parse(_ text: String) -> Int64? {
        let lowered = text.trimmingSpaces.lowercased()
        let digits = lowered.prefix { ($0 >= "0" && $0 <= "9") || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
        let unit = lowered.dropFirst(digits.count).trimmingCharacters(" ")
        let multiplier: Double
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1024
        case "m", "mb", "mib": multiplier = 1024 * 1024
        case "g", "gb", "gib": multiplier = 1024 * 1024 * 1024
        case "t", "tb", "tib": multiplier = 1024 * 1024 * 1024 * 1024
        case "p", "pb", "pib": multiplier = 1024 * 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = value * multiplier
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(_ c: Character) -> String {
        var s = self
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
