import BerthModel

/// What a service builds on: `depends_on` and `extends`.
extension Canonicalizer {
    /// `depends_on` as `{service: {condition, required, restart}}`.
    func dependsOn(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        var out: [Node.Entry] = []
        out.reserveCapacity(value.items?.count ?? value.entries?.count ?? 0)
        func add(_ name: String, _ mark: Mark, condition: String, required: Bool, restart: Bool?) {
            var fields: [Node.Entry] = []
            fields.reserveCapacity(3)
            fields.append(.init(key: "condition", keyMark: mark, value: .string(condition, mark)))
            fields.append(.init(key: "required", keyMark: mark, value: .bool(required, mark)))
            if let restart { fields.append(.init(key: "restart", keyMark: mark, value: .bool(restart, mark))) }
            out.append(.init(key: name, keyMark: mark, value: Node(.mapping(fields), mark: mark, tag: .ordered)))
        }
        switch value.value {
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let name = text(item, "\(path())[\(i)]", expected: "a service name") else { continue }
                if out.contains(where: { $0.key == name }) {
                    fail(item.mark, "\(path())[\(i)]", "service \"\(name)\" is listed twice")
                    continue
                }
                add(name, item.mark, condition: "service_started", required: true, restart: nil)
            }
        case .mapping(let entries):
            for entry in entries {
                let key = entry.key
                func p() -> String { "\(path()).\(key)" }
                var condition = "service_started"
                var required = true
                var restart: Bool?
                if !entry.value.isNull {
                    guard let fields = mapping(entry.value, p()) else { continue }
                    checkKeys(fields, p(), allowed: ["condition", "required", "restart"])
                    for f in fields {
                        switch f.key {
                        case "condition":
                            guard let c = text(f.value, "\(p()).condition") else { continue }
                            let known = ["service_started", "service_healthy", "service_completed_successfully"]
                            if known.contains(c) {
                                condition = c
                            } else {
                                fail(
                                    f.value.mark, "\(p()).condition",
                                    "unknown condition \"\(c)\" (\(known.joined(separator: ", ")))")
                            }
                        case "required": required = bool(f.value, "\(p()).required") ?? true
                        case "restart": restart = bool(f.value, "\(p()).restart")
                        default: break
                        }
                    }
                }
                add(entry.key, entry.keyMark, condition: condition, required: required, restart: restart)
            }
        default:
            wrongType(value, path(), expected: "a list of services or a mapping")
            return nil
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `extends` as `{service, file}` (a string names a service in the same file).
    func extends(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        if case .scalar = value.value {
            return stringNode(value, path()).map { .map([("service", $0)], value.mark) }
        }
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["service", "file"])
        guard let service = value["service"] else {
            fail(value.mark, path(), "extends needs a \"service\"")
            return nil
        }
        var pairs: [(String, Node)] = []
        if let s = stringNode(service, "\(path()).service") { pairs.append(("service", s)) } else { return nil }
        if let file = value["file"], let f = text(file, "\(path()).file") {
            pairs.append(("file", .string(hostPath(f), file.mark)))
        }
        return .map(pairs, value.mark)
    }
}
