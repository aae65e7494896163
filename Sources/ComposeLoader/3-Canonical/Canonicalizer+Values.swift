import BerthModel

/// The value shapes many keys share: scalars of each type (a YAML integer
/// and a string holding one alike), lists of strings, mappings, and the
/// `KEY=VALUE` list or mapping. Each reports a wrong value at its place and
/// returns nil.
extension Canonicalizer {
    /// The text of any scalar (`80` and `"80"` alike), or an error for a collection or null.
    func text(_ node: Node, _ path: @autoclosure () -> String, expected: String = "a string") -> String? {
        guard case .scalar(let text, let style) = node.value, !(style == .plain && ScalarType.isNull(text)) else {
            wrongType(node, path(), expected: expected)
            return nil
        }
        return text
    }

    /// A string value, kept as a string node.
    func stringNode(_ node: Node, _ path: @autoclosure () -> String) -> Node? {
        text(node, path()).map { .string($0, node.mark) }
    }

    /// An integer, from a YAML integer or a string holding one.
    func int(_ node: Node, _ path: @autoclosure () -> String, in range: ClosedRange<Int>? = nil) -> Int? {
        guard let raw = text(node, path(), expected: "an integer"),
            let value = ScalarType.int(raw.trimmingSpaces)
        else {
            if node.scalarText != nil, !node.isNull {
                fail(node.mark, path(), "must be an integer, not \"\(node.scalarText ?? "")\"")
            }
            return nil
        }
        if let range, !range.contains(value) {
            fail(node.mark, path(), "\(value) is out of range (\(range.lowerBound)-\(range.upperBound))")
            return nil
        }
        return value
    }

    /// A number (integer or decimal), from YAML or a string.
    func number(_ node: Node, _ path: @autoclosure () -> String) -> Double? {
        guard let raw = text(node, path(), expected: "a number") else { return nil }
        if let value = ScalarType.int(raw) { return Double(value) }
        if let value = ScalarType.float(raw), value.isFinite { return value }
        fail(node.mark, path(), "must be a number, not \"\(raw)\"")
        return nil
    }

    /// A boolean; compose also takes the strings "true" and "false".
    func bool(_ node: Node, _ path: @autoclosure () -> String) -> Bool? {
        guard let raw = text(node, path(), expected: "a boolean") else { return nil }
        if let value = ScalarType.bool(raw) { return value }
        fail(node.mark, path(), "must be true or false, not \"\(raw)\"")
        return nil
    }

    /// A duration (`1m30s`, `500ms`), printed back in Go's form as docker compose does.
    func duration(_ node: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let raw = text(node, path(), expected: "a duration") else { return nil }
        guard let nanoseconds = DurationText.parse(raw) else {
            fail(node.mark, path(), "\"\(raw)\" is not a duration (write it like 10s, 1m30s or 500ms)")
            return nil
        }
        guard nanoseconds >= 0 else {
            fail(node.mark, path(), "\"\(raw)\" is negative; a duration must be 0 or more")
            return nil
        }
        return .string(DurationText.format(nanoseconds), node.mark)
    }

    /// A size in bytes (`512m`, `1g`, `1024`).
    func bytes(_ node: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let raw = text(node, path(), expected: "a size") else { return nil }
        guard let value = ByteSize.parse(raw) else {
            fail(node.mark, path(), "\"\(raw)\" is not a size (write it like 512m, 1g or 1048576)")
            return nil
        }
        return .int(Int(clamping: value), node.mark)
    }

    /// A list of strings.
    func stringList(_ node: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = node.items else {
            wrongType(node, path(), expected: "a list of strings")
            return nil
        }
        var out: [Node] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            if let s = stringNode(item, "\(path())[\(i)]") { out.append(s) }
        }
        return Node(.sequence(out), mark: node.mark, tag: node.tag)
    }

    /// A string or a list of strings, as a list.
    func stringOrList(_ node: Node, _ path: @autoclosure () -> String) -> Node? {
        if case .scalar = node.value, !node.isNull {
            return Node(.sequence([.string(node.scalarText ?? "", node.mark)]), mark: node.mark, tag: node.tag)
        }
        return stringList(node, path())
    }

    /// A mapping's entries, or an error.
    func mapping(_ node: Node, _ path: @autoclosure () -> String) -> [Node.Entry]? {
        guard let entries = node.entries else {
            wrongType(node, path(), expected: "a mapping")
            return nil
        }
        return entries
    }

    /// `KEY=VALUE` list or `KEY: VALUE` mapping as a mapping of strings.
    ///
    /// `resolveBare`: a bare `KEY` (or `KEY:` with no value) takes the variable
    /// from the environment, as `environment:` does; when unset it stays null.
    /// Otherwise (labels, sysctls, driver_opts) it is the empty string, as compose-go has it.
    func listOrDict(_ node: Node, _ path: @autoclosure () -> String, separator: Character = "=", resolveBare: Bool)
        -> Node?
    {
        var out: [Node.Entry] = []
        // Sized once: arrays grown one append at a time were 30,000 of a
        // thousand services' allocations (here and in the other builders).
        out.reserveCapacity(node.items?.count ?? node.entries?.count ?? 0)
        // Keys seen, by position: a linear scan while there are few (hashing
        // each key cost more than comparing it with the three or four before),
        // a dictionary once there are many.
        var seen: [String: Int]? = nil
        func put(_ key: String, _ value: Node, _ mark: Mark) {
            if seen == nil && out.count >= 16 {
                var index: [String: Int] = [:]
                for i in out.indices { index[out[i].key] = i }
                seen = index
            }
            let found = seen != nil ? seen?[key] : out.indices.first { out[$0].key == key }
            if let i = found {
                out[i].value = value
            } else {
                seen?[key] = out.count
                out.append(Node.Entry(key: key, keyMark: mark, value: value))
            }
        }
        func bare(_ key: String, _ mark: Mark) -> Node {
            guard resolveBare else { return .string("", mark) }
            if let value = environment(key) { return .string(value, mark) }
            return .null(mark)
        }
        switch node.value {
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let entry = text(item, "\(path())[\(i)]") else { continue }
                if let split = entry.firstIndex(of: separator) {
                    let key = String(entry[..<split])
                    guard !key.isEmpty else {
                        fail(item.mark, "\(path())[\(i)]", "\"\(entry)\" has no name before \"\(separator)\"")
                        continue
                    }
                    put(key, .string(String(entry[entry.index(after: split)...]), item.mark), item.mark)
                } else {
                    put(entry, bare(entry, item.mark), item.mark)
                }
            }
        case .mapping(let entries):
            for entry in entries {
                let value = entry.value
                switch value.value {
                case .scalar(let text, let style):
                    if style == .plain && ScalarType.isNull(text) {
                        put(
                            entry.key, Node(bare(entry.key, value.mark).value, mark: value.mark, tag: value.tag),
                            entry.keyMark)
                    } else {
                        put(entry.key, Node(.scalar(text, .string), mark: value.mark, tag: value.tag), entry.keyMark)
                    }
                default:
                    wrongType(value, "\(path()).\(entry.key)", expected: "a string, number or boolean")
                }
            }
        default:
            if node.isNull { return Node(.mapping([]), mark: node.mark, tag: node.tag) }
            wrongType(node, path(), expected: "a mapping or a list of KEY\(separator)VALUE strings")
            return nil
        }
        return Node(.mapping(out), mark: node.mark, tag: node.tag)
    }

    /// A list or a mapping, kept as written (`devices`, `models`).
    func listOrMapping(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        if value.items == nil && value.entries == nil {
            wrongType(value, path(), expected: "a list or a mapping")
            return nil
        }
        return value
    }
}
