/// IPv4 and IPv6 address and CIDR syntax.
public enum IPText {
    /// True for a dotted IPv4 address.
    public static func isIPv4(_ text: some StringProtocol) -> Bool {
        if let settled = text.utf8.withContiguousStorageIfAvailable(isIPv4) { return settled }
        let parts = Substring(text).splitASCII(UInt8(ascii: "."))
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.utf8.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(part)
            else { return false }
            return n <= 255
        }
    }

    /// `isIPv4` over bytes: four parts of one to three digits, each at most 255.
    static func isIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parts = 0, digits = 0, value = 0
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard digits > 0, value <= 255 else { return false }
                parts += 1
                digits = 0
                value = 0
            } else {
                guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"), digits < 3 else { return false }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
                digits += 1
            }
        }
        return parts == 3 && digits > 0 && value <= 255
    }

    /// True for an IPv6 address (with at most one `::`, an optional IPv4 tail and zone).
    public static func isIPv6(_ text: some StringProtocol) -> Bool {
        var address = Substring(text)
        if let percent = address.firstIndex(of: "%") { address = address[..<percent] }
        guard address.contains(":") else { return false }
        let doubles = address.components(separatedBy: "::").count - 1
        guard doubles <= 1 else { return false }
        var groups = address.split(separator: ":", omittingEmptySubsequences: true)
        var count = 0
        if let last = groups.last, last.contains(".") {
            guard isIPv4(last) else { return false }
            groups.removeLast()
            count += 2
        }
        for group in groups {
            guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit) else { return false }
            count += 1
        }
        return doubles == 1 ? count < 8 : count == 8
    }

    /// True for either kind of address.
    public static func isAddress(_ text: some StringProtocol) -> Bool { isIPv4(text) || isIPv6(text) }

    /// True for `address/prefix` of either kind.
    public static func isCIDR(_ text: some StringProtocol) -> Bool {
        guard let slash = text.firstIndex(of: "/"), let prefix = Int(text[text.index(after: slash)...]) else {
            return false
        }
        let address = text[..<slash]
        if isIPv4(address) { return (0...32).contains(prefix) }
        if isIPv6(address) { return (0...128).contains(prefix) }
        return false
    }
}
