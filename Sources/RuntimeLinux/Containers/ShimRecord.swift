/// The json-file record as the shim (and docker) writes it, read without
/// a JSON decoder: `{"log":"…","stream":"stdout","time":"…"}` in that
/// order. A full `logs` parses every line of gigabytes of log; anything of
/// another shape is left to `JSONDecoder`.
enum ShimRecord {
    /// The three fields, `log` unescaped; nil for another shape.
    static func fields(_ line: Substring) -> (log: String, stream: String, time: String)? {
        var utf8 = line.utf8
        guard utf8.starts(with: #"{"log":""#.utf8) else { return nil }
        utf8 = utf8.dropFirst(8)
        guard let log = unescape(&utf8), skip(&utf8, #","stream":""#),
            let stream = plain(&utf8), skip(&utf8, #","time":""#), let time = plain(&utf8),
            skip(&utf8, "}"), utf8.isEmpty
        else { return nil }
        return (log, stream, time)
    }

    private static func skip(_ utf8: inout Substring.UTF8View, _ text: String) -> Bool {
        guard utf8.starts(with: text.utf8) else { return false }
        utf8 = utf8.dropFirst(text.utf8.count)
        return true
    }

    /// A string without escapes up to its closing quote.
    private static func plain(_ utf8: inout Substring.UTF8View) -> String? {
        guard let quote = utf8.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let text = utf8[..<quote]
        guard !text.contains(UInt8(ascii: "\\")) else { return nil }
        utf8 = utf8[utf8.index(after: quote)...]
        return String(decoding: text, as: UTF8.self)
    }

    /// A JSON string's content up to its closing quote, escapes undone.
    private static func unescape(_ utf8: inout Substring.UTF8View) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let c = utf8[i]
            if c == UInt8(ascii: "\"") {
                utf8 = utf8[utf8.index(after: i)...]
                return String(decoding: out, as: UTF8.self)
            }
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i = utf8.index(after: i)
                continue
            }
            i = utf8.index(after: i)
            guard i < utf8.endIndex else { return nil }
            switch utf8[i] {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(utf8[i])
            case UInt8(ascii: "u"):
                guard var scalar = hex4(utf8, after: i) else { return nil }
                i = utf8.index(i, offsetBy: 4)
                // A surrogate pair: the low half follows as its own \u.
                if (0xD800..<0xDC00).contains(scalar), utf8.distance(from: i, to: utf8.endIndex) > 6,
                    utf8[utf8.index(i, offsetBy: 1)] == UInt8(ascii: "\\"),
                    utf8[utf8.index(i, offsetBy: 2)] == UInt8(ascii: "u"),
                    let low = hex4(utf8, after: utf8.index(i, offsetBy: 2)), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i = utf8.index(i, offsetBy: 6)
                }
                out += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: return nil
            }
            i = utf8.index(after: i)
        }
        return nil
    }

    private static func hex4(_ utf8: Substring.UTF8View, after index: Substring.UTF8View.Index) -> UInt32? {
        guard utf8.distance(from: index, to: utf8.endIndex) > 4 else { return nil }
        var value: UInt32 = 0
        var i = utf8.index(after: index)
        for _ in 0..<4 {
            let c = utf8[i]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value * 16 + UInt32(digit)
            i = utf8.index(after: i)
        }
        return value
    }
}
