import BerthModel

extension Canonicalizer {
    /// The top-level keys of a compose file.
    static let topLevelKeys: Set<String> = ["version", "name", "include", "services", "models", "networks", "volumes", "secrets", "configs"]

    /// A whole file in canonical form (services, networks, volumes, secrets, configs,
    /// `x-` extensions); `include` is left for the loader.
    ///
    /// `root` is consumed: each service's parsed part is released as soon as
    /// its canonical form is made (see `LoadContext.loadFile`).
    func file(_ root: consuming Node) -> Node {
        guard var entries = root.entries else {
            fail(root.mark, "", "the top level of a compose file must be a mapping, not \(root.kindName)")
            return .map([])
        }
        let rootMark = root.mark
        root = .null()
        checkKeys(entries, "", allowed: Self.topLevelKeys)
        var out: [Node.Entry] = []
        out.reserveCapacity(entries.count)
        for i in entries.indices {
            // Moved out, so that `e` holds the only reference to its value.
            var e = entries[i]
            entries[i].value = .null()
            var v: Node?
            switch e.key {
            case "version":
                // Obsolete and ignored, as docker compose does; kept out of the model.
                _ = text(e.value, "version", expected: "a string")
                continue
            case "name":
                v = stringNode(e.value, "name")
            case "include":
                v = e.value
            case "services":
                if e.value.isNull { v = .map([], e.value.mark); break }
                guard var services = mapping(e.value, "services") else { continue }
                let (servicesMark, servicesTag) = (e.value.mark, e.value.tag)
                e.value = .null()
                var list: [Node.Entry] = []
                list.reserveCapacity(services.count)
                for j in services.indices {
                    let s = services[j]
                    services[j].value = .null()
                    if s.key.hasPrefix("x-") { continue }
                    let name = s.key
                    list.append(.init(key: name, keyMark: s.keyMark, value: service(s.value, "services.\(name)")))
                }
                v = Node(.mapping(list), mark: servicesMark, tag: servicesTag)
            case "networks", "volumes", "secrets", "configs", "models":
                if e.value.isNull { v = .map([], e.value.mark); break }
                guard let items = mapping(e.value, e.key) else { continue }
                var list: [Node.Entry] = []
                for item in items where !item.key.hasPrefix("x-") {
                    let section = e.key, key = item.key
                    func p() -> String { "\(section).\(key)" }
                    let canonical: Node?
                    switch e.key {
                    case "networks": canonical = network(item.value, p())
                    case "volumes": canonical = volume(item.value, p())
                    case "models": canonical = item.value
                    default: canonical = secretOrConfig(item.value, p(), kind: e.key)
                    }
                    if let canonical { list.append(.init(key: item.key, keyMark: item.keyMark, value: canonical)) }
                }
                v = Node(.mapping(list), mark: e.value.mark, tag: e.value.tag)
            default:
                if e.key.hasPrefix("x-") { v = e.value }
            }
            if let v { out.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
        }
        return Node(.mapping(out), mark: rootMark)
    }

    /// `external: {name: x}` (the old form) or `external: true`.
    private func external(_ node: Node, _ path: @autoclosure () -> String, name: inout Node?) -> Node? {
        if let fields = node.entries {
            checkKeys(fields, path(), allowed: ["name"])
            if let n = node["name"], let s = stringNode(n, "\(path()).name") { name = s }
            return .bool(true, node.mark)
        }
        return bool(node, path()).map { .bool($0, node.mark) }
    }

    /// A top-level network.
    func network(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        if value.isNull { return .map([], value.mark) }
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["name", "driver", "driver_opts", "ipam", "external", "internal", "enable_ipv4", "enable_ipv6", "attachable", "labels"])
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
            case "internal", "enable_ipv4", "enable_ipv6", "attachable": v = bool(e.value, p()).map { .bool($0, e.value.mark) }
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
                if let m = listOrDict(e.value, p(), resolveBare: false) { out.append(.init(key: e.key, keyMark: e.keyMark, value: m)) }
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
                            if let m = listOrDict(f.value, fp(), resolveBare: false) { config.append(.init(key: f.key, keyMark: f.keyMark, value: m)) }
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

    /// A top-level volume.
    func volume(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        if value.isNull { return .map([], value.mark) }
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["name", "driver", "driver_opts", "external", "labels"])
        var out: [Node.Entry] = []
        var name: Node?
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "name":
                name = stringNode(e.value, p())
                if let n = name?.scalarText, let problem = VolumeNameRule.problem(n) {
                    fail(e.value.mark, p(), "\"\(n)\" \(problem)")
                    name = nil
                }
                continue
            case "driver": v = stringNode(e.value, p())
            case "driver_opts", "labels": v = listOrDict(e.value, p(), resolveBare: false)
            case "external": v = external(e.value, p(), name: &name)
            default: break
            }
            if let v { out.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
        }
        if let name { out.append(.init(key: "name", keyMark: name.mark, value: name)) }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// A top-level secret or config: `file`, `environment`, `content` or `external`.
    func secretOrConfig(_ value: Node, _ path: @autoclosure () -> String, kind: String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        var allowed: Set<String> = ["name", "file", "environment", "external", "labels", "driver", "driver_opts", "template_driver"]
        if kind == "configs" { allowed.insert("content") }
        checkKeys(entries, path(), allowed: allowed)
        var out: [Node.Entry] = []
        var name: Node?
        var sources = 0
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "name": name = stringNode(e.value, p()); continue
            case "file":
                sources += 1
                v = text(e.value, p()).map { .string(hostPath($0), e.value.mark) }
            case "environment", "content":
                sources += 1
                v = stringNode(e.value, p())
            case "external":
                var ignored: Node?
                v = external(e.value, p(), name: &ignored)
                if v?.scalarText == "true" { sources += 1 }
                if let ignored { name = ignored }
            case "labels", "driver_opts": v = listOrDict(e.value, p(), resolveBare: false)
            case "driver", "template_driver": v = stringNode(e.value, p())
            default: break
            }
            if let v { out.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
        }
        let singular = kind == "secrets" ? "secret" : "config"
        if sources == 0 {
            fail(value.mark, path(), "a \(singular) needs one of \(kind == "configs" ? "file, environment, content" : "file, environment") or external")
        } else if sources > 1 {
            fail(value.mark, path(), "a \(singular) takes only one of file, environment\(kind == "configs" ? ", content" : "") and external")
        }
        if let name { out.append(.init(key: "name", keyMark: name.mark, value: name)) }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }
}
