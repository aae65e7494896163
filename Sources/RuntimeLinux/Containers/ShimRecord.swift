/// The json-file record as the shim (and docker) writes it, read without
/// a JSON decoder: `{"log":"…","stream":"stdout","time":"…"}` in that
/// order. A full `logs` parses every line of gigabytes of log, so the
/// bytes are read through a pointer, and runs without escapes are copied
/// whole; anything of another shape is left to `JSONDecoder`.
enum ShimRecord {
    /// The three fields, `log` unescaped; nil for another shape.
    static func fields(_ line: Substring) -> (log: String, stream: String, time: String)? {
        var line = line
        return line.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            guard reader.skip(Self.logKey), let log = reader.unescaped(), reader.skip(Self.streamKey),
                let stream = reader.plain(), reader.skip(Self.timeKey), let time = reader.plain(),
                reader.skip(Self.end), reader.index == bytes.count
            else { return nil }
            return (log, stream, time)
        }
    }

    private static let logKey = Array(#"{"log":""#.utf8)
    private static let streamKey = Array(#","stream":""#.utf8)
    private static let timeKey = Array(#","time":""#.utf8)
    private static let end = Array("}".utf8)

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func skip(_ text: [UInt8]) -> Bool {
            guard bytes.count - index >= text.count else { return false }
            for (offset, byte) in text.enumerated() where bytes[index + offset] != byte { return false }
            index += text.count
            return true
        }

        /// A string without escapes up to its closing quote.
        mutating func plain() -> String? {
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                guard bytes[end] != UInt8(ascii: "\\") else { return nil }
                end += 1
            }
            guard end < bytes.count else { return nil }
            defer { index = end + 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
        }

        /// A JSON string's content up to its closing quote, escapes undone.
        mutating func unescaped() -> String? {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count - index)
            while index < bytes.count {
                var run = index
                while run < bytes.count, bytes[run] != UInt8(ascii: "\""), bytes[run] != UInt8(ascii: "\\") {
                    run += 1
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<run]))
                index = run
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: out, as: UTF8.self)
                }
                guard escape(into: &out) else { return nil }
            }
            return nil
        }

        /// The escape at `index` (its backslash) appended to `out`.
        private mutating func escape(into out: inout [UInt8]) -> Bool {
            index += 1
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(bytes[index])
            case UInt8(ascii: "u"):
                guard var scalar = hex4(after: index) else { return false }
                index += 4
                // A surrogate pair: the low half follows as its own \u.
                if (0xD800..<0xDC00).contains(scalar), bytes.count - index > 6,
                    bytes[index + 1] == UInt8(ascii: "\\"), bytes[index + 2] == UInt8(ascii: "u"),
                    let low = hex4(after: index + 2), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                out += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: return false
            }
            index += 1
            return true
        }

        private func hex4(after position: Int) -> UInt32? {
            guard bytes.count - position > 4 else { return nil }
            var value: UInt32 = 0
            for c in bytes[(position + 1)...(position + 4)] {
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value * 16 + UInt32(digit)
            }
            return value
        }
    }
}
