import BerthModel

extension Interpolation {
    /// Substitutes variables in every scalar value of a tree (never in keys),
    /// collecting an error per bad value with its place and path. The tree
    /// must come straight from `YAMLParser`: subtrees it did not mark with
    /// `holdsDollar` are skipped.
    static func tree(_ node: Node, files: SourceFiles, lookup: (String) -> String?, errors: inout [BerthError]) -> Node
    {
        var failures: [(Mark, String)] = []
        let result = walk(node, lookup, &failures) ?? node
        for (mark, message) in failures {
            errors.append(
                BerthError(.interpolation, message, location: files.location(mark), path: YAMLPath.find(mark, in: node))
            )
        }
        return result
    }

    /// The node with variables substituted, or nil when nothing in it changed
    /// (most values have no `$`, so arrays are copied only where one does).
    private static func walk(_ node: Node, _ lookup: (String) -> String?, _ failures: inout [(Mark, String)]) -> Node? {
        guard node.holdsDollar else { return nil }
        switch node.value {
        case .scalar(let text, let style):
            guard text.containsByte(UInt8(ascii: "$")) else { return nil }
            do {
                let value = try substitute(text, lookup: lookup)
                // `A: ${UNSET}` is the empty string, as in docker compose, not YAML's null
                // (which would mean "take A from the environment" or "not set").
                let typed: Node.Style = style == .plain && ScalarType.isNull(value) ? .string : style
                return Node(.scalar(value, typed), mark: node.mark, tag: node.tag)
            } catch {
                failures.append((node.mark, error.message))
                return nil
            }
        case .sequence(let items):
            var out: [Node]?
            for i in items.indices {
                if let new = walk(items[i], lookup, &failures) {
                    if out == nil { out = items }
                    out?[i] = new
                }
            }
            return out.map { Node(.sequence($0), mark: node.mark, tag: node.tag) }
        case .mapping(let entries):
            var out: [Node.Entry]?
            for i in entries.indices {
                if let new = walk(entries[i].value, lookup, &failures) {
                    if out == nil { out = entries }
                    out?[i].value = new
                }
            }
            return out.map { Node(.mapping($0), mark: node.mark, tag: node.tag) }
        }
    }
}
