import BerthModel

extension Canonicalizer {
    /// The top-level keys of a compose file.
    static let topLevelKeys: Set<String> = [
        "version", "name", "include", "services", "models", "networks", "volumes", "secrets", "configs",
    ]

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
    func external(_ node: Node, _ path: @autoclosure () -> String, name: inout Node?) -> Node? {
        if let fields = node.entries {
            checkKeys(fields, path(), allowed: ["name"])
            if let n = node["name"], let s = stringNode(n, "\(path()).name") { name = s }
            return .bool(true, node.mark)
        }
        return bool(node, path()).map { .bool($0, node.mark) }
    }
}
