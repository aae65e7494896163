import BerthModel

/// `command`, `entrypoint` and the `post_start`/`pre_stop` hooks that run commands.
extension Canonicalizer {
    /// `command`/`entrypoint`: a string is split like a shell does; a list is kept.
    func command(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        switch value.value {
        case .scalar(let text, let style):
            if style == .plain && ScalarType.isNull(text) { return .null(value.mark) }
            guard let words = ShellWords.split(text) else {
                fail(value.mark, path(), "unterminated quote in \(Emitter.doubleQuoted(text))")
                return nil
            }
            return Node(.sequence(words.map { .string($0, value.mark) }), mark: value.mark, tag: value.tag)
        case .sequence:
            return stringList(value, path())
        case .mapping:
            wrongType(value, path(), expected: "a string or a list of strings")
            return nil
        }
    }

    /// `post_start`/`pre_stop` hooks: a list of `{command, user, privileged, working_dir, environment}`.
    func hooks(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list of hooks")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            func itemPath() -> String { "\(path())[\(i)]" }
            guard let entries = mapping(item, itemPath()) else { continue }
            checkKeys(entries, itemPath(), allowed: ["command", "user", "privileged", "working_dir", "environment"])
            var hook: [Node.Entry] = []
            for e in entries {
                let key = e.key
                func p() -> String { "\(itemPath()).\(key)" }
                let v: Node?
                switch e.key {
                case "command": v = command(e.value, p())
                case "user", "working_dir": v = stringNode(e.value, p())
                case "privileged": v = bool(e.value, p()).map { .bool($0, e.value.mark) }
                case "environment": v = listOrDict(e.value, p(), resolveBare: true)
                default: v = nil
                }
                if let v { hook.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
            }
            out.append(Node(.mapping(hook), mark: item.mark))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }
}
