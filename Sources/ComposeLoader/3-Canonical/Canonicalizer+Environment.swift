import BerthModel

/// `env_file`; `environment` itself is a `listOrDict` whose bare keys come
/// from the shell.
extension Canonicalizer {
    /// `env_file` as a list of `{path, required, format}` with absolute paths.
    func envFile(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        let items: [Node]
        if case .scalar = value.value {
            items = [value]
        } else if let list = value.items {
            items = list
        } else {
            wrongType(value, path(), expected: "a path or a list of paths")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            func itemPath() -> String { "\(path())[\(i)]" }
            var filePath: String?
            var required = true
            var format: String?
            if item.entries != nil {
                guard let entries = mapping(item, itemPath()) else { continue }
                checkKeys(entries, itemPath(), allowed: ["path", "required", "format"])
                for e in entries {
                    switch e.key {
                    case "path": filePath = text(e.value, "\(itemPath()).path")
                    case "required": required = bool(e.value, "\(itemPath()).required") ?? true
                    case "format": format = text(e.value, "\(itemPath()).format")
                    default: break
                    }
                }
                if filePath == nil, item.entry("path") == nil {
                    fail(item.mark, itemPath(), "an env_file entry needs a \"path\"")
                }
            } else {
                filePath = text(item, itemPath(), expected: "a path")
            }
            guard let filePath else { continue }
            var pairs: [(String, Node)] = [
                ("path", .string(hostPath(filePath), item.mark)), ("required", .bool(required)),
            ]
            if let format { pairs.append(("format", .string(format))) }
            out.append(
                Node(
                    .mapping(pairs.map { .init(key: $0.0, keyMark: item.mark, value: $0.1) }), mark: item.mark,
                    tag: .ordered))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }
}
