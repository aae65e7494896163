extension StringProtocol {
    /// `hasPrefix` for an ASCII prefix, decided over the UTF-8 bytes.
    ///
    /// `hasPrefix` on a Substring compares Characters (about 850 instructions
    /// for `/`). Matching bytes are matching Characters unless what follows the
    /// prefix joins its last character into one grapheme, which takes a
    /// non-ASCII byte (a combining mark) or `\r\n`; `hasPrefix` decides those.
    func hasASCIIPrefix(_ prefix: StaticString) -> Bool {
        let p = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        let settled = utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            guard bytes.count >= p.count else { return false }
            for i in 0..<p.count where bytes[i] != p[i] { return false }
            guard bytes.count > p.count else { return true }
            let next = bytes[p.count]
            if next < 0x80 && !(next == UInt8(ascii: "\n") && p.last == UInt8(ascii: "\r")) { return true }
            return nil
        }
        if let settled, let answer = settled { return answer }
        return hasPrefix(String(decoding: p, as: UTF8.self))
    }
}

extension String {
    /// True when the UTF-8 form holds `byte`: one pass over contiguous
    /// storage, for checks that run on every scalar of a large file.
    func containsByte(_ byte: UInt8) -> Bool {
        if let found = utf8.withContiguousStorageIfAvailable({ $0.contains(byte) }) { return found }
        return utf8.contains(byte)
    }

    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last,
            first == 32 || first == 9 || last == 32 || last == 9
        else { return self }
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, utf8[start] == 32 || utf8[start] == 9 { start = utf8.index(after: start) }
        while end > start, utf8[utf8.index(before: end)] == 32 || utf8[utf8.index(before: end)] == 9 {
            end = utf8.index(before: end)
        }
        return String(self[start..<end])
    }
}

extension StringProtocol where SubSequence == Substring {
    /// Splits on an ASCII byte over UTF-8, keeping empty pieces: no grapheme
    /// breaking, which the hot paths (ports, volumes) cannot afford. The bytes
    /// are scanned in place; stepping a UTF8View index retained the string's
    /// storage at every byte.
    func splitASCII(_ separator: UInt8) -> [Substring] {
        let utf8 = self.utf8
        let whole = self[...]
        let found = utf8.withContiguousStorageIfAvailable { bytes -> [Substring] in
            var parts: [Substring] = []
            var pieces = 1
            for b in bytes where b == separator { pieces += 1 }
            parts.reserveCapacity(pieces)
            var start = utf8.startIndex
            for i in 0..<bytes.count where bytes[i] == separator {
                let end = utf8.index(utf8.startIndex, offsetBy: i)
                parts.append(whole[start..<end])
                start = utf8.index(after: end)
            }
            parts.append(whole[start..<utf8.endIndex])
            return parts
        }
        if let found { return found }
        var parts: [Substring] = []
        var start = utf8.startIndex
        var i = start
        while i != utf8.endIndex {
            if utf8[i] == separator {
                parts.append(self[start..<i])
                start = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        parts.append(self[start..<utf8.endIndex])
        return parts
    }
}

extension Substring {
    /// The parts between occurrences of `separator` (Foundation's `components(separatedBy:)`).
    func components(separatedBy separator: String) -> [Substring] {
        var result: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            result.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        result.append(rest)
        return result
    }
}
