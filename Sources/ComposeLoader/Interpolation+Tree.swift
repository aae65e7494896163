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
        return walk(node, &path, files, lookup, &errors)
    }

    private static func walk(
        _ node: Node, _ path: inout YAMLPath, _ files: SourceFiles, _ lookup: (String) -> String?, _ errors: inout [BerthError]
    ) -> Node {
        switch node.value {
        case .scalar(let text, let style):
            guard text.utf8.contains(UInt8(ascii: "$")) else { return node }
            do {
                let value = try substitute(text, lookup: lookup)
                return Node(.scalar(value, style), mark: node.mark, tag: node.tag)
            } catch {
                errors.append(BerthError(.interpolation, error.message, location: files.location(node.mark), path: path.text))
                return node
            }
        case .sequence(let items):
            var out = items
            for i in out.indices {
                path.parts.append(.index(i))
                out[i] = walk(items[i], &path, files, lookup, &errors)
                path.parts.removeLast()
            }
            return Node(.sequence(out), mark: node.mark, tag: node.tag)
        case .mapping(let entries):
            var out = entries
            for i in out.indices {
                path.parts.append(.key(entries[i].key))
                out[i].value = walk(entries[i].value, &path, files, lookup, &errors)
                path.parts.removeLast()
            }
            return Node(.mapping(out), mark: node.mark, tag: node.tag)
        }
    }
}
