import BerthModel

/// Secrets and configs: a service's references to them, and the top-level
/// definitions.
extension Canonicalizer {
    /// Service `secrets`/`configs`: long form `{source, target, uid, gid, mode}`.
    func fileReferences(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            func p() -> String { "\(path())[\(i)]" }
            if case .scalar = item.value {
                if let s = stringNode(item, p()) { out.append(.map([("source", s)], item.mark)) }
                continue
            }
            guard let entries = mapping(item, p()) else { continue }
            checkKeys(entries, p(), allowed: ["source", "target", "uid", "gid", "mode"])
            guard item["source"] != nil else {
                fail(item.mark, p(), "needs a \"source\"")
                continue
            }
            var fields: [Node.Entry] = []
            for e in entries where !e.key.hasPrefix("x-") {
                let key = e.key
                func fp() -> String { "\(p()).\(key)" }
                switch e.key {
                case "mode":
                    // Modes are octal (`0440`); YAML may have read `0440` as 440 decimal text.
                    guard let raw = text(e.value, fp()), let mode = FileModeText.parse(raw) else {
                        fail(e.value.mark, fp(), "must be an octal file mode like 0440")
                        continue
                    }
                    fields.append(
                        .init(key: e.key, keyMark: e.keyMark, value: .string(FileModeText.format(mode), e.value.mark)))
                case "source", "target", "uid", "gid":
                    if let s = stringNode(e.value, fp()) {
                        fields.append(.init(key: e.key, keyMark: e.keyMark, value: s))
                    }
                default:
                    break  // unknown: already reported
                }
            }
            out.append(Node(.mapping(fields), mark: item.mark))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// A top-level secret or config: `file`, `environment`, `content` or `external`.
    func secretOrConfig(_ value: Node, _ path: @autoclosure () -> String, kind: String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        var allowed: Set<String> = [
            "name", "file", "environment", "external", "labels", "driver", "driver_opts", "template_driver",
        ]
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
            fail(
                value.mark, path(),
                "a \(singular) needs one of \(kind == "configs" ? "file, environment, content" : "file, environment") or external"
            )
        } else if sources > 1 {
            fail(
                value.mark, path(),
                "a \(singular) takes only one of file, environment\(kind == "configs" ? ", content" : "") and external")
        }
        if let name { out.append(.init(key: "name", keyMark: name.mark, value: name)) }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }
}
