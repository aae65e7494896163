import BerthModel

/// A path into the model, built only when an error needs to print it.
struct YAMLPath {
    enum Part { case key(String), index(Int) }
    var parts: [Part] = []

    /// `services.web.ports[0]`.
    var text: String {
        var out = ""
        for part in parts {
            switch part {
            case .key(let key): out += out.isEmpty ? key : ".\(key)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

extension Interpolation {
    /// Substitutes variables in every scalar value of a tree (never in keys),
    /// collecting an error per bad value with its place and path.
    static func tree(_ node: Node, files: SourceFiles, lookup: (String) -> String?, errors: inout [BerthError]) -> Node {
        var path = YAMLPath()
        return walk(node, &path, files, lookup, &errors) ?? node
    }

    /// The node with variables substituted, or nil when nothing in it changed
    /// (most values have no `$`, so arrays are copied only where one does).
    private static func walk(
        _ node: Node, _ path: inout YAMLPath, _ files: SourceFiles, _ lookup: (String) -> String?, _ errors: inout [BerthError]
    ) -> Node? {
        switch node.value {
        case .scalar(let text, let style):
            guard text.utf8.contains(UInt8(ascii: "$")) else { return nil }
            do {
                let value = try substitute(text, lookup: lookup)
                // `A: ${UNSET}` is the empty string, as in docker compose, not YAML's null
                // (which would mean "take A from the environment" or "not set").
                let typed: Node.Style = style == .plain && ScalarType.isNull(value) ? .string : style
                return Node(.scalar(value, typed), mark: node.mark, tag: node.tag)
            } catch {
                errors.append(BerthError(.interpolation, error.message, location: files.location(node.mark), path: path.text))
                return nil
            }
        case .sequence(let items):
            var out: [Node]?
            for i in items.indices {
                path.parts.append(.index(i))
                if let new = walk(items[i], &path, files, lookup, &errors) {
                    if out == nil { out = items }
                    out?[i] = new
                }
                path.parts.removeLast()
            }
            return out.map { Node(.sequence($0), mark: node.mark, tag: node.tag) }
        case .mapping(let entries):
            var out: [Node.Entry]?
            for i in entries.indices {
                path.parts.append(.key(entries[i].key))
                if let new = walk(entries[i].value, &path, files, lookup, &errors) {
                    if out == nil { out = entries }
                    out?[i].value = new
                }
                path.parts.removeLast()
            }
            return out.map { Node(.mapping($0), mark: node.mark, tag: node.tag) }
        }
    }
}
