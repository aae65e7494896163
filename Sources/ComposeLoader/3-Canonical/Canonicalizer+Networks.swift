import BerthModel

/// Networks: a service's `networks` and `extra_hosts`, and the top-level
/// networks with their `ipam`.
extension Canonicalizer {
    /// Service `networks`: `{name: {aliases, ipv4_address, …}}` (null for no options).
    func serviceNetworks(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        var out: [Node.Entry] = []
        out.reserveCapacity(value.items?.count ?? value.entries?.count ?? 0)
        switch value.value {
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let name = text(item, "\(path())[\(i)]", expected: "a network name") else { continue }
                out.append(.init(key: name, keyMark: item.mark, value: .null(item.mark)))
            }
        case .mapping(let entries):
            for e in entries {
                let key = e.key
                func p() -> String { "\(path()).\(key)" }
                if e.value.isNull {
                    out.append(.init(key: e.key, keyMark: e.keyMark, value: .null(e.value.mark)))
                    continue
                }
                guard let fields = mapping(e.value, p()) else { continue }
                checkKeys(
                    fields, p(),
                    allowed: [
                        "aliases", "ipv4_address", "ipv6_address", "link_local_ips", "mac_address", "driver_opts",
                        "priority", "gw_priority", "interface_name",
                    ])
                var options: [Node.Entry] = []
                for f in fields where !f.key.hasPrefix("x-") {
                    let fKey = f.key
                    func fp() -> String { "\(p()).\(fKey)" }
                    var v: Node?
                    switch f.key {
                    case "aliases", "link_local_ips": v = stringList(f.value, fp())
                    case "ipv4_address":
                        if let ip = text(f.value, fp()) {
                            if IPText.isIPv4(ip) {
                                v = .string(ip, f.value.mark)
                            } else {
                                fail(f.value.mark, fp(), "\"\(ip)\" is not an IPv4 address")
                            }
                        }
                    case "ipv6_address":
                        if let ip = text(f.value, fp()) {
                            if IPText.isIPv6(ip) {
                                v = .string(ip, f.value.mark)
                            } else {
                                fail(f.value.mark, fp(), "\"\(ip)\" is not an IPv6 address")
                            }
                        }
                    case "priority", "gw_priority": v = int(f.value, fp()).map { .int($0, f.value.mark) }
                    case "driver_opts": v = listOrDict(f.value, fp(), resolveBare: false)
                    case "mac_address", "interface_name": v = stringNode(f.value, fp())
                    default: v = nil  // unknown: already reported
                    }
                    if let v { options.append(.init(key: f.key, keyMark: f.keyMark, value: v)) }
                }
                out.append(.init(key: e.key, keyMark: e.keyMark, value: Node(.mapping(options), mark: e.value.mark)))
            }
        default:
            wrongType(value, path(), expected: "a list of networks or a mapping")
            return nil
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `extra_hosts` as a list of `host=ip` (also taking `host:ip` and a mapping).
    /// As compose-go: `host=ip1,ip2` gives one entry per address, and brackets
    /// around an IPv6 address (`[::1]`) are dropped, in either form.
    func extraHosts(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        var out: [Node] = []
        func add(_ host: Substring, _ ips: Substring, _ mark: Mark, _ itemPath: @autoclosure () -> String) {
            guard !host.contains(":") && !host.contains("=") else {
                fail(mark, itemPath(), "\"\(host)\" is not a host name")
                return
            }
            for part in ips.split(separator: ",") {
                var ip = String(part).trimmingSpaces
                if ip.count > 2 && ip.hasPrefix("[") && ip.hasSuffix("]") { ip = String(ip.dropFirst().dropLast()) }
                out.append(.string("\(host)=\(ip)", mark))
            }
        }
        switch value.value {
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let raw = text(item, "\(path())[\(i)]") else { continue }
                // `host=ip` first; `host:ip` splits at the first colon so IPv6 addresses survive.
                let sep = raw.firstIndex(of: "=") ?? raw.firstIndex(of: ":")
                guard let sep, sep != raw.startIndex, raw.index(after: sep) != raw.endIndex else {
                    fail(item.mark, "\(path())[\(i)]", "\"\(raw)\" must be HOST=IP or HOST:IP")
                    continue
                }
                add(raw[..<sep], raw[raw.index(after: sep)...], item.mark, "\(path())[\(i)]")
            }
        case .mapping(let entries):
            for entry in entries {
                let key = entry.key
                func entryPath() -> String { "\(path()).\(key)" }
                switch entry.value.value {
                case .sequence(let ips):
                    for ip in ips {
                        if let s = text(ip, entryPath()) {
                            add(Substring(entry.key), Substring(s), ip.mark, entryPath())
                        }
                    }
                default:
                    if let s = text(entry.value, entryPath()) {
                        add(Substring(entry.key), Substring(s), entry.value.mark, entryPath())
                    }
                }
            }
        default:
            wrongType(value, path(), expected: "a list of HOST=IP or a mapping")
            return nil
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// A top-level network.
    func network(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        if value.isNull { return .map([], value.mark) }
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(
            entries, path(),
            allowed: [
                "name", "driver", "driver_opts", "ipam", "external", "internal", "enable_ipv4", "enable_ipv6",
                "attachable", "labels",
            ])
        var out: [Node.Entry] = []
        var name: Node?
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "name": name = stringNode(e.value, p()); continue
            case "driver": v = stringNode(e.value, p())
            case "driver_opts": v = listOrDict(e.value, p(), resolveBare: false)
            case "labels": v = listOrDict(e.value, p(), resolveBare: false)
            case "external": v = external(e.value, p(), name: &name)
            case "internal", "enable_ipv4", "enable_ipv6", "attachable":
                v = bool(e.value, p()).map { .bool($0, e.value.mark) }
            case "ipam": v = ipam(e.value, p())
            default: break
            }
            if let v { out.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
        }
        if let name { out.append(.init(key: "name", keyMark: name.mark, value: name)) }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `ipam: {driver, config: [{subnet, gateway, ip_range, aux_addresses}], options}`.
    func ipam(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["driver", "config", "options"])
        var out: [Node.Entry] = []
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            switch e.key {
            case "driver":
                if let s = stringNode(e.value, p()) { out.append(.init(key: e.key, keyMark: e.keyMark, value: s)) }
            case "options":
                if let m = listOrDict(e.value, p(), resolveBare: false) {
                    out.append(.init(key: e.key, keyMark: e.keyMark, value: m))
                }
            case "config":
                guard let items = e.value.items else {
                    wrongType(e.value, p(), expected: "a list")
                    continue
                }
                var configs: [Node] = []
                for (i, item) in items.enumerated() {
                    func configPath() -> String { "\(p())[\(i)]" }
                    guard let fields = mapping(item, configPath()) else { continue }
                    checkKeys(fields, configPath(), allowed: ["subnet", "ip_range", "gateway", "aux_addresses"])
                    var config: [Node.Entry] = []
                    for f in fields where !f.key.hasPrefix("x-") {
                        let fKey = f.key
                        func fp() -> String { "\(configPath()).\(fKey)" }
                        switch f.key {
                        case "subnet", "ip_range":
                            guard let s = text(f.value, fp()) else { continue }
                            guard IPText.isCIDR(s) else {
                                fail(f.value.mark, fp(), "\"\(s)\" is not a subnet in CIDR form like 172.28.0.0/16")
                                continue
                            }
                            config.append(.init(key: f.key, keyMark: f.keyMark, value: .string(s, f.value.mark)))
                        case "gateway":
                            guard let s = text(f.value, fp()) else { continue }
                            guard IPText.isAddress(s) else {
                                fail(f.value.mark, fp(), "\"\(s)\" is not an IP address")
                                continue
                            }
                            config.append(.init(key: f.key, keyMark: f.keyMark, value: .string(s, f.value.mark)))
                        case "aux_addresses":
                            if let m = listOrDict(f.value, fp(), resolveBare: false) {
                                config.append(.init(key: f.key, keyMark: f.keyMark, value: m))
                            }
                        default: break
                        }
                    }
                    configs.append(Node(.mapping(config), mark: item.mark))
                }
                out.append(.init(key: e.key, keyMark: e.keyMark, value: Node(.sequence(configs), mark: e.value.mark)))
            default: break
            }
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }
}
