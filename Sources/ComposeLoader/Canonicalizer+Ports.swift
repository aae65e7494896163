import BerthModel

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

extension Canonicalizer {
    /// `ports` in long form: one `{mode, host_ip, target, published, protocol}` per port.
    func ports(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list of ports")
            return nil
        }
        var out: [Node] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            func p() -> String { "\(path())[\(i)]" }
            if item.entries != nil {
                if let port = longPort(item, p()) { out.append(port) }
            } else if let raw = text(item, p(), expected: "a port") {
                out += shortPorts(raw, item.mark, p())
            }
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// A canonical port mapping.
    static func portNode(
        mode: String = "ingress", hostIP: String?, target: Int, published: String?, protocol proto: String,
        extra: [Node.Entry] = [], mark: Mark
    ) -> Node {
        var pairs: [Node.Entry] = []
        pairs.reserveCapacity(5 + extra.count)
        pairs.append(.init(key: "mode", keyMark: mark, value: .string(mode, mark)))
        if let hostIP, !hostIP.isEmpty { pairs.append(.init(key: "host_ip", keyMark: mark, value: .string(hostIP, mark))) }
        pairs.append(.init(key: "target", keyMark: mark, value: .int(target, mark)))
        if let published, !published.isEmpty { pairs.append(.init(key: "published", keyMark: mark, value: .string(published, mark))) }
        pairs.append(.init(key: "protocol", keyMark: mark, value: .string(proto, mark)))
        pairs += extra
        return Node(.mapping(pairs), mark: mark, tag: .ordered)
    }

    /// `[[IP:]HOST:]CONTAINER[/PROTOCOL]`, with ranges expanded as docker does.
    func shortPorts(_ raw: String, _ mark: Mark, _ path: @autoclosure () -> String) -> [Node] {
        if let port = Emitter.withUTF8(raw, { Self.quickShortPort($0, mark) }) { return [port] }
        return fullShortPorts(raw, mark, path())
    }

    /// `shortPorts` for every shape, errors included.
    func fullShortPorts(_ raw: String, _ mark: Mark, _ path: @autoclosure () -> String) -> [Node] {
        var spec = Substring(raw.trimmingSpaces)
        var proto = "tcp"
        if let slash = spec.utf8.lastIndex(of: UInt8(ascii: "/")) {
            proto = String(spec[spec.index(after: slash)...]).lowercased()
            spec = spec[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else {
                fail(mark, path(), "unknown protocol \"\(proto)\" in \"\(raw)\" (tcp, udp or sctp)")
                return []
            }
        }
        var hostIP: String?
        if spec.utf8.first == UInt8(ascii: "["), let close = spec.utf8.firstIndex(of: UInt8(ascii: "]")) {
            // `[::1]:8080:80`: an IPv6 host address in brackets.
            hostIP = String(spec[spec.index(after: spec.startIndex)..<close])
            spec = spec[spec.index(after: close)...]
            guard spec.hasPrefix(":") else {
                fail(mark, path(), "\"\(raw)\" needs a port after the address")
                return []
            }
            spec = spec.dropFirst()
        }
        var parts = spec.splitASCII(UInt8(ascii: ":"))
        if hostIP == nil, parts.count > 3 {
            // An IPv6 address without brackets: everything but the last two parts.
            hostIP = parts.dropLast(2).joined(separator: ":")
            parts = Array(parts.suffix(2))
        } else if hostIP == nil, parts.count == 3 {
            hostIP = String(parts[0])
            parts = Array(parts.suffix(2))
        }
        if let ip = hostIP, !ip.isEmpty, !IPText.isAddress(ip) {
            fail(mark, path(), "\"\(ip)\" in \"\(raw)\" is not an IP address")
            return []
        }
        guard let containerText = parts.last, let container = PortText.range(containerText, allowZero: false) else {
            fail(mark, path(), "\"\(raw)\" is not a valid port: the container port must be 1-65535 (or a range like 3000-3005)")
            return []
        }
        var host: ClosedRange<Int>?
        if parts.count == 2, !parts[0].isEmpty {
            guard let h = PortText.range(parts[0], allowZero: true) else {
                fail(mark, path(), "\"\(raw)\" is not a valid port: the host port must be 0-65535 (or a range like 8000-8010)")
                return []
            }
            host = h
        }
        if container.count == 1 {
            let published = host.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return [Self.portNode(hostIP: hostIP, target: container.lowerBound, published: published, protocol: proto, mark: mark)]
        }
        if let host, host.count != container.count {
            let ports = { (n: Int) in n == 1 ? "1 port" : "\(n) ports" }
            fail(mark, path(), "\"\(raw)\": the host side has \(ports(host.count)) but the container side has \(ports(container.count)); they must match")
            return []
        }
        return container.enumerated().map { offset, target in
            let published = host.map { String($0.lowerBound + offset) }
            return Self.portNode(hostIP: hostIP, target: target, published: published, protocol: proto, mark: mark)
        }
    }

    /// The common shapes of the short syntax (`80`, `8080:80`,
    /// `127.0.0.1:8080:80/udp`: single ports, an IPv4 address, a lower-case
    /// protocol) read straight from the bytes; nil for anything else (ranges,
    /// IPv6, spaces, errors), which `shortPorts` reads in full. Splitting into
    /// Substrings and Strings cost some 6,500 instructions a port.
    static func quickShortPort(_ bytes: UnsafeBufferPointer<UInt8>, _ mark: Mark) -> Node? {
        var end = bytes.count
        var proto = "tcp"
        if let slash = bytes.lastIndex(of: UInt8(ascii: "/")) {
            let name = UnsafeBufferPointer(rebasing: bytes[(slash + 1)...])
            if ScalarType.equals(name, "tcp") {
                proto = "tcp"
            } else if ScalarType.equals(name, "udp") {
                proto = "udp"
            } else if ScalarType.equals(name, "sctp") {
                proto = "sctp"
            } else {
                return nil
            }
            end = slash
        }
        // At most two colons: [IP:][HOST:]CONTAINER.
        var first: Int?, second: Int?
        for i in 0..<end where bytes[i] == UInt8(ascii: ":") {
            if first == nil { first = i } else if second == nil { second = i } else { return nil }
        }
        /// A port of one to five digits, or nil (ranges, signs and the rest go the long way).
        func port(_ range: Range<Int>) -> Int? {
            guard (1...5).contains(range.count) else { return nil }
            var value = 0
            for i in range {
                guard bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(bytes[i] - UInt8(ascii: "0"))
            }
            return value <= 65535 ? value : nil
        }
        let last = second ?? first
        guard let target = port((last.map { $0 + 1 } ?? 0)..<end), target >= 1 else { return nil }
        var published: String?
        if let last {
            let hostStart = second != nil ? (first ?? 0) + 1 : 0
            if hostStart < last {
                guard let host = port(hostStart..<last) else { return nil }
                published = String(host)
            }
        }
        var hostIP: String?
        if second != nil, let first, first > 0 {
            let ip = UnsafeBufferPointer(rebasing: bytes[..<first])
            guard IPText.isIPv4(ip) else { return nil }
            hostIP = String(decoding: ip, as: UTF8.self)
        }
        return portNode(hostIP: hostIP, target: target, published: published, protocol: proto, mark: mark)
    }

    /// The long syntax, checked and ordered.
    func longPort(_ item: Node, _ path: @autoclosure () -> String) -> Node? {
        let entries = item.entries ?? []
        checkKeys(entries, path(), allowed: ["name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"])
        guard let targetNode = item["target"] else {
            fail(item.mark, path(), "a port needs a \"target\"")
            return nil
        }
        guard let target = int(targetNode, "\(path()).target", in: 1...65535) else { return nil }
        var published: String?
        if let node = item["published"], !node.isNull {
            guard let raw = text(node, "\(path()).published"), PortText.range(Substring(raw), allowZero: true) != nil else {
                fail(node.mark, "\(path()).published", "\"\(node.scalarText ?? "")\" is not a port or range (0-65535)")
                return nil
            }
            published = raw
        }
        var hostIP: String?
        if let node = item["host_ip"] {
            guard let ip = text(node, "\(path()).host_ip") else { return nil }
            guard ip.isEmpty || IPText.isAddress(ip) else {
                fail(node.mark, "\(path()).host_ip", "\"\(ip)\" is not an IP address")
                return nil
            }
            hostIP = ip
        }
        var proto = "tcp"
        if let node = item["protocol"], let given = text(node, "\(path()).protocol") {
            guard ["tcp", "udp", "sctp"].contains(given.lowercased()) else {
                fail(node.mark, "\(path()).protocol", "unknown protocol \"\(given)\" (tcp, udp or sctp)")
                return nil
            }
            proto = given.lowercased()
        }
        var mode = "ingress"
        if let node = item["mode"], let m = text(node, "\(path()).mode") {
            guard m == "host" || m == "ingress" else {
                fail(node.mark, "\(path()).mode", "must be \"host\" or \"ingress\", not \"\(m)\"")
                return nil
            }
            mode = m
        }
        var extra: [Node.Entry] = []
        for key in ["app_protocol", "name"] {
            if let node = item[key], let s = stringNode(node, "\(path()).\(key)") {
                extra.append(.init(key: key, keyMark: node.mark, value: s))
            }
        }
        return Self.portNode(mode: mode, hostIP: hostIP, target: target, published: published, protocol: proto, extra: extra, mark: item.mark)
    }
}

/// IPv4 and IPv6 address and CIDR syntax.
public enum IPText {
    /// True for a dotted IPv4 address.
    public static func isIPv4(_ text: some StringProtocol) -> Bool {
        if let settled = text.utf8.withContiguousStorageIfAvailable(isIPv4) { return settled }
        let parts = Substring(text).splitASCII(UInt8(ascii: "."))
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.utf8.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(part) else { return false }
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
        guard let slash = text.firstIndex(of: "/"), let prefix = Int(text[text.index(after: slash)...]) else { return false }
        let address = text[..<slash]
        if isIPv4(address) { return (0...32).contains(prefix) }
        if isIPv6(address) { return (0...128).contains(prefix) }
        return false
    }
}

extension Character {
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}

extension Substring {
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
