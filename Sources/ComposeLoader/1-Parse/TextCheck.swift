import BerthModel

/// Checks that bytes are text a YAML parser should see, with one clear line when not.
enum TextCheck {
    /// Whether `bytes` hold a NUL and whether they are all ASCII, eight bytes
    /// at a time (two byte-by-byte passes took 5.6M instructions on a 550 KB file).
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (hasNUL: Bool, isASCII: Bool) {
        guard let base = bytes.baseAddress else { return (false, true) }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var high: UInt64 = 0
        var i = 0
        while i + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            // A zero byte, by the classic test: (w - 0x01..) & ~w & 0x80.. is nonzero.
            if (word &- ones) & ~word & highs != 0 { return (true, false) }
            high |= word
            i += 8
        }
        while i < bytes.count {
            if bytes[i] == 0 { return (true, false) }
            high |= UInt64(bytes[i])
            i += 1
        }
        return (false, high & highs == 0)
    }

    static func check(_ bytes: [UInt8], path: String) throws(BerthError) {
        let (hasNUL, isASCII) = bytes.withUnsafeBufferPointer(scan)
        if hasNUL {
            throw BerthError(.unreadableFile, "\(path): is a binary file, not a compose file (it contains NUL bytes)")
        }
        // Most compose files are ASCII: one pass over the bytes settles it.
        if isASCII { return }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1
        var column = 1
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput:
                break loop
            case .error:
                // The location already names the file; the message says what is wrong with it.
                throw BerthError(
                    .unreadableFile, "not valid UTF-8 text (the first bad byte is here); save the file as UTF-8",
                    location: SourceLocation(file: path, line: line, column: column))
            }
        }
    }
}
