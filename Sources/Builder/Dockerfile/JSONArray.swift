/// The exec form's JSON array (`["executable", "param"]`), read as Go's
/// `encoding/json` reads it into `[]any`: a text that is not one whole JSON
/// value is not an exec form at all (the instruction falls back to its
/// shell form, as in BuildKit); a valid array holding anything but strings
/// is an error.
enum JSONArray {
    /// The strings, nil when the text is not a JSON array.
    static func strings(_ text: String) throws(WordError) -> [String]? {
        var reader = JSONReader(Array(text.utf8))
        reader.skipBlanks()
        guard reader.peek == UInt8(ascii: "[") else { return nil }
        guard let values = reader.arrayOfValues(), reader.atEndAfterBlanks else { return nil }
        var strings: [String] = []
        for value in values {
            guard let string = value else {
                throw WordError(message: "when using JSON array syntax, arrays must be made of strings only")
            }
            strings.append(string)
        }
        return strings
    }
}

/// A JSON reader over UTF-8 bytes that only needs to tell whether a text is
/// valid JSON, and to decode strings.
private struct JSONReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    var atEndAfterBlanks: Bool {
        mutating get {
            skipBlanks()
            return position == bytes.count
        }
    }

    mutating func skipBlanks() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    /// The top-level array's elements: a string or nil for any other valid
    /// value; nil when the array is not valid JSON.
    mutating func arrayOfValues() -> [String?]? {
        position += 1
        var values: [String?] = []
        skipBlanks()
        if peek == UInt8(ascii: "]") {
            position += 1
            return values
        }
        while true {
            skipBlanks()
            if peek == UInt8(ascii: "\"") {
                guard let string = string() else { return nil }
                values.append(string)
            } else {
                guard skipValue() else { return nil }
                values.append(nil)
            }
            skipBlanks()
            switch peek {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return values
            default: return nil
            }
        }
    }

    /// Skips one value of any kind; false when it is malformed.
    mutating func skipValue() -> Bool {
        skipBlanks()
        switch peek {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "["): return skipContainer(close: UInt8(ascii: "]"), keyed: false)
        case UInt8(ascii: "{"): return skipContainer(close: UInt8(ascii: "}"), keyed: true)
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    mutating func skipContainer(close: UInt8, keyed: Bool) -> Bool {
        position += 1
        skipBlanks()
        if peek == close {
            position += 1
            return true
        }
        while true {
            skipBlanks()
            if keyed {
                guard peek == UInt8(ascii: "\""), string() != nil else { return false }
                skipBlanks()
                guard peek == UInt8(ascii: ":") else { return false }
                position += 1
            }
            guard skipValue() else { return false }
            skipBlanks()
            if peek == UInt8(ascii: ",") {
                position += 1
            } else if peek == close {
                position += 1
                return true
            } else {
                return false
            }
        }
    }

    mutating func literal(_ word: String) -> Bool {
        for byte in word.utf8 {
            guard peek == byte else { return false }
            position += 1
        }
        return true
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() -> Bool {
        if peek == UInt8(ascii: "-") { position += 1 }
        guard let first = peek, isDigit(first) else { return false }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek == UInt8(ascii: ".") {
            position += 1
            guard let digit = peek, isDigit(digit) else { return false }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard let digit = peek, isDigit(digit) else { return false }
            skipDigits()
        }
        return true
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    mutating func skipDigits() {
        while let byte = peek, isDigit(byte) { position += 1 }
    }

    /// A string at `"`, decoded; nil when malformed (a control character, a
    /// bad escape, no closing quote).
    mutating func string() -> String? {
        position += 1
        var out: [UInt8] = []
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = escape() else { return nil }
                out.append(contentsOf: escaped)
            case 0..<0x20:
                return nil
            default:
                out.append(byte)
            }
        }
        return nil
    }

    /// The bytes of one escape after `\`.
    mutating func escape() -> [UInt8]? {
        guard let byte = peek else { return nil }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return [byte]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "u"):
            guard var unit = hex4() else { return nil }
            // A high surrogate followed by `\u` and a low one is one scalar;
            // a lone surrogate becomes U+FFFD, as Go decodes it.
            if (0xD800..<0xDC00).contains(unit), peek == UInt8(ascii: "\\"),
                position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u")
            {
                let saved = position
                position += 2
                if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    position = saved
                }
            }
            let scalar = Unicode.Scalar(unit) ?? "\u{FFFD}"
            return Array(String(Character(scalar)).utf8)
        default:
            return nil
        }
    }

    mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }
}
