/// Port numbers and ranges (`80`, `8000-8010`).
enum PortText {
    /// The range's bounds, or nil when the text is not a port or range.
    static func range(_ text: Substring, allowZero: Bool) -> ClosedRange<Int>? {
        if let settled = text.utf8.withContiguousStorageIfAvailable({ range($0, allowZero: allowZero) }) {
            return settled
        }
        let low: Int, high: Int
        if let dash = text.utf8.firstIndex(of: UInt8(ascii: "-")), dash != text.startIndex {
            guard let a = Int(text[..<dash]), let b = Int(text[text.index(after: dash)...]) else { return nil }
            low = a
            high = b
        } else {
            guard let a = Int(text) else { return nil }
            low = a
            high = a
        }
        return checked(low, high, allowZero: allowZero)
    }

    /// `range` over the text's bytes: `Int` of a Substring goes through generic
    /// parsing, several hundred instructions a port.
    private static func range(_ bytes: UnsafeBufferPointer<UInt8>, allowZero: Bool) -> ClosedRange<Int>? {
        let low: Int, high: Int
        if let dash = bytes.firstIndex(of: UInt8(ascii: "-")), dash != 0 {
            guard let a = ScalarType.parseInt(UnsafeBufferPointer(rebasing: bytes[..<dash]), radix: 10),
                let b = ScalarType.parseInt(UnsafeBufferPointer(rebasing: bytes[(dash + 1)...]), radix: 10)
            else { return nil }
            low = a
            high = b
        } else {
            guard let a = ScalarType.parseInt(bytes, radix: 10) else { return nil }
            low = a
            high = a
        }
        return checked(low, high, allowZero: allowZero)
    }

    private static func checked(_ low: Int, _ high: Int, allowZero: Bool) -> ClosedRange<Int>? {
        let floor = allowZero ? 0 : 1
        guard low >= floor, high <= 65535, low <= high else { return nil }
        return low...high
    }
}
