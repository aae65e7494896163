extension LogEntry {
    /// This entry's `item` frame, `{"item":{"_0":{…}}}` as `WireJSON` writes
    /// it, but written by hand: a full `logs` of gigabytes sends millions of
    /// them, and JSONEncoder cost more than everything else per line.
    public var itemFrame: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + container.utf8.count * 2 + 96)
        out += #"{"item":{"_0":{"container":"#.utf8
        Self.appendString(container, to: &out)
        out += #","service":"#.utf8
        Self.appendString(service, to: &out)
        out += #","stream":"#.utf8
        Self.appendString(stream, to: &out)
        out += #","time":"#.utf8
        Self.appendString(time, to: &out)
        out += #","text":"#.utf8
        Self.appendString(text, to: &out)
        out += "}}}".utf8
        return out
    }

    /// An `item` frame of exactly the shape `itemFrame` writes, read back
    /// by hand; nil for any other line (which JSONDecoder then reads).
    public static func fromItemFrame(_ line: [UInt8]) -> LogEntry? {
        var reader = FrameReader(bytes: line)
        guard reader.skip(#"{"item":{"_0":{"container":"#), let container = reader.string(),
            reader.skip(#","service":"#), let service = reader.string(), reader.skip(#","stream":"#),
            let stream = reader.string(), reader.skip(#","time":"#), let time = reader.string(),
            reader.skip(#","text":"#), let text = reader.string(), reader.skip("}}}"), reader.atEnd
        else { return nil }
        return LogEntry(container: container, service: service, stream: stream, time: time, text: text)
    }

    /// `text` as a JSON string, quotes included; the runs that need no
    /// escape are copied whole.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        var text = text
        out.append(UInt8(ascii: "\""))
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                default: out += Array(#"\u00"#.utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 15)]]
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Reads the fixed shape of an item frame.
private struct FrameReader {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func skip(_ text: String) -> Bool {
        let expected = Array(text.utf8)
        guard bytes.count - index >= expected.count,
            bytes[index..<(index + expected.count)].elementsEqual(expected)
        else { return false }
        index += expected.count
        return true
    }

    /// A JSON string at `index`, quotes included, escapes undone; nil when
    /// it is not one.
    mutating func string() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            // The run up to the next quote or escape, copied whole.
            var run = index
            while run < bytes.count, bytes[run] != UInt8(ascii: "\""), bytes[run] != UInt8(ascii: "\\") { run += 1 }
            out += bytes[index..<run]
            index = run
            guard index < bytes.count else { return nil }
            let c = bytes[index]
            index += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard index < bytes.count else { return nil }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "u"):
                // Only what `appendString` writes: control characters.
                guard index + 4 <= bytes.count,
                    let value = UInt8(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16),
                    value < 0x20
                else { return nil }
                out.append(value)
                index += 4
            default: return nil
            }
        }
        return nil
    }
}
