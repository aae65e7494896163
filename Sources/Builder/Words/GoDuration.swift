/// Durations as Go spells them: `HEALTHCHECK --interval=1m30s` is read with
/// Go's `time.ParseDuration` rules, and the image history prints durations
/// with `time.Duration.String` (`1m30s`, `500ms`, `0s`), as BuildKit writes
/// them.
enum GoDuration {
    /// Nanoseconds of `text` (`300ms`, `1.5h`, `2h45m`, `-1s`, `0`); nil when malformed or too large.
    static func parse(_ text: String) -> Int64? {
        var scalars = Substring(text).unicodeScalars
        var negative = false
        if let sign = scalars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            scalars.removeFirst()
        }
        if String(scalars) == "0" { return 0 }
        guard !scalars.isEmpty else { return nil }
        var total: Double = 0
        while !scalars.isEmpty {
            let whole = scalars.prefix { $0.isASCIIDigit }
            scalars.removeFirst(whole.count)
            var fraction = Substring.UnicodeScalarView()
            if scalars.first == "." {
                scalars.removeFirst()
                fraction = scalars.prefix { $0.isASCIIDigit }
                scalars.removeFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { return nil }
            let unitText = scalars.prefix { !$0.isASCIIDigit && $0 != "." }
            scalars.removeFirst(unitText.count)
            guard let unit = units[String(unitText)] else { return nil }
            let number = Double("\(whole.isEmpty ? "0" : String(whole)).\(fraction.isEmpty ? "0" : String(fraction))")
            total += (number ?? 0) * unit
        }
        guard total < 9.223372036854775e18 else { return nil }
        return negative ? -Int64(total) : Int64(total)
    }

    private static let units: [String: Double] = [
        "ns": 1, "us": 1e3, "\u{00B5}s": 1e3, "\u{03BC}s": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9,
    ]

    /// `nanoseconds` as Go's `time.Duration.String` prints it.
    static func format(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let value = nanoseconds.magnitude
        if value < 1_000_000_000 {
            switch value {
            case ..<1000: return sign + "\(value)ns"
            case ..<1_000_000: return sign + decimal(value, digits: 3) + "\u{00B5}s"
            default: return sign + decimal(value, digits: 6) + "ms"
            }
        }
        let seconds = decimal(value % 60_000_000_000, digits: 9) + "s"
        let minutes = value / 60_000_000_000
        guard minutes > 0 else { return sign + seconds }
        let hours = minutes / 60
        guard hours > 0 else { return sign + "\(minutes)m" + seconds }
        return sign + "\(hours)h\(minutes % 60)m" + seconds
    }

    /// `value / 10^digits` with its fraction's trailing zeros (and a bare point) left out.
    private static func decimal(_ value: UInt64, digits: Int) -> String {
        var divisor: UInt64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let whole = value / divisor
        var fraction = String(value % divisor)
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }
}
