import BerthModel

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
        if let hostIP, !hostIP.isEmpty {
            pairs.append(.init(key: "host_ip", keyMark: mark, value: .string(hostIP, mark)))
        }
        pairs.append(.init(key: "target", keyMark: mark, value: .int(target, mark)))
        if let published, !published.isEmpty {
            pairs.append(.init(key: "published", keyMark: mark, value: .string(published, mark)))
        }
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
            fail(
                mark, path(),
                "\"\(raw)\" is not a valid port: the container port must be 1-65535 (or a range like 3000-3005)")
            return []
        }
        var host: ClosedRange<Int>?
        if parts.count == 2, !parts[0].isEmpty {
            guard let h = PortText.range(parts[0], allowZero: true) else {
                fail(
                    mark, path(),
                    "\"\(raw)\" is not a valid port: the host port must be 0-65535 (or a range like 8000-8010)")
                return []
            }
            host = h
        }
        if container.count == 1 {
            let published = host.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return [
                Self.portNode(
                    hostIP: hostIP, target: container.lowerBound, published: published, protocol: proto, mark: mark)
            ]
        }
        if let host, host.count != container.count {
            let ports = { (n: Int) in n == 1 ? "1 port" : "\(n) ports" }
            fail(
                mark, path(),
                "\"\(raw)\": the host side has \(ports(host.count)) but the container side has \(ports(container.count)); they must match"
            )
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
        checkKeys(
            entries, path(), allowed: ["name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"])
        guard let targetNode = item["target"] else {
            fail(item.mark, path(), "a port needs a \"target\"")
            return nil
        }
        guard let target = int(targetNode, "\(path()).target", in: 1...65535) else { return nil }
        var published: String?
        if let node = item["published"], !node.isNull {
            guard let raw = text(node, "\(path()).published"), PortText.range(Substring(raw), allowZero: true) != nil
            else {
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
        return Self.portNode(
            mode: mode, hostIP: hostIP, target: target, published: published, protocol: proto, extra: extra,
            mark: item.mark)
    }

    /// `expose`: ports or ranges, with an optional protocol, as strings.
    func expose(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list of ports")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            guard let raw = text(item, "\(path())[\(i)]", expected: "a port") else { continue }
            var portPart = Substring(raw)
            if let slash = raw.firstIndex(of: "/") {
                portPart = raw[..<slash]
                let proto = raw[raw.index(after: slash)...]
                guard ["tcp", "udp", "sctp"].contains(proto) else {
                    fail(item.mark, "\(path())[\(i)]", "unknown protocol \"\(proto)\" (tcp, udp or sctp)")
                    continue
                }
            }
            guard PortText.range(portPart, allowZero: false) != nil else {
                fail(item.mark, "\(path())[\(i)]", "\"\(raw)\" is not a port or a port range (1-65535)")
                continue
            }
            out.append(.string(raw, item.mark))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }
}
