/// Durations in Go's syntax (`1m30s`, `500ms`, `1.5h`), which compose uses.
enum DurationText {
    /// Nanoseconds, or nil when `text` is not a duration. A bare number is refused,
    /// as docker compose refuses it (`10` could mean seconds or nanoseconds).
    static func parse(_ text: String) -> Int64? {
        // Over UTF-8 bytes in place: this runs for every healthcheck field of every service.
        Emitter.withUTF8(text) { all in
            var lower = 0, upper = all.count
            while lower < upper, all[lower] == 32 || all[lower] == 9 { lower += 1 }
            while upper > lower, all[upper - 1] == 32 || all[upper - 1] == 9 { upper -= 1 }
            return parse(UnsafeBufferPointer(rebasing: all[lower..<upper]))
        }
    }

    /// `parse` of text already trimmed.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        if bytes.count - i == 1, bytes[i] == UInt8(ascii: "0") { return 0 }
        guard i < bytes.count else { return nil }
        var total: Double = 0
        while i < bytes.count {
            var whole: Double = 0
            var fraction: Double = 0
            var scale: Double = 1
            var digits = 0
            var seenDot = false
            while i < bytes.count, (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 46 {
                if bytes[i] == 46 {
                    if seenDot { return nil }
                    seenDot = true
                } else if seenDot {
                    scale /= 10
                    fraction += Double(bytes[i] - 48) * scale
                    digits += 1
                } else {
                    whole = whole * 10 + Double(bytes[i] - 48)
                    digits += 1
                }
                i += 1
            }
            guard digits > 0 else { return nil }
            let unitStart = i
            while i < bytes.count, !((bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 46) { i += 1 }
            guard let unit = unit(UnsafeBufferPointer(rebasing: bytes[unitStart..<i])) else { return nil }
            total += (whole + fraction) * unit
            guard total < 9.2e18 else { return nil }
        }
        return Int64(negative ? -total : total)
    }

    /// Nanoseconds in a unit: `ns`, `us` (or `µs`, `μs`), `ms`, `s`, `m`, `h`.
    /// Compared as bytes: no other text is canonically equivalent to these.
    private static func unit(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        func equals(_ word: StaticString) -> Bool { ScalarType.equals(bytes, word) }
        if equals("s") { return 1e9 }
        if equals("ms") { return 1e6 }
        if equals("m") { return 60e9 }
        if equals("h") { return 3600e9 }
        if equals("ns") { return 1 }
        if equals("us") || equals("µs") || equals("μs") { return 1e3 }
        return nil
    }

    /// Go's `time.Duration.String()`: `1m30s`, `500ms`, `1h0m0s`, `0s`.
    static func format(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let ns = nanoseconds.magnitude
        if ns < 1_000 { return "\(sign)\(ns)ns" }
        if ns < 1_000_000 { return sign + fraction(ns, 1_000) + "µs" }
        if ns < 1_000_000_000 { return sign + fraction(ns, 1_000_000) + "ms" }
        let hours = ns / 3_600_000_000_000
        let minutes = (ns / 60_000_000_000) % 60
        let seconds = fraction(ns % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(seconds)" }
        return sign + seconds
    }

    /// `value / unit` with the remainder as decimals, trailing zeros dropped.
    private static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        var rest = value % unit
        guard rest > 0 else { return "\(whole)" }
        var digits = ""
        var scale = unit / 10
        while rest > 0, scale > 0 {
            digits.append(Character(String(rest / scale)))
            rest %= scale
            scale /= 10
        }
        return "\(whole).\(digits)"
    }
}
