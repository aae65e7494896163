import BerthModel

extension Canonicalizer {
    /// `build`: a context path or the long form, context absolute, dockerfile defaulted.
    func build(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        func context(_ raw: String) -> String {
            // Remote contexts (git, http) stay as written.
            if raw.contains("://") || raw.hasPrefix("git@") || raw.hasPrefix("github.com/") { return raw }
            return hostPath(raw)
        }
        if case .scalar = value.value {
            guard let raw = text(value, path(), expected: "a build context or a mapping") else { return nil }
            return Node(
                .mapping([
                    .init(key: "context", keyMark: value.mark, value: .string(context(raw), value.mark)),
                    .init(key: "dockerfile", keyMark: value.mark, value: .string("Dockerfile", value.mark)),
                ]), mark: value.mark, tag: value.tag)
        }
        guard let entries = mapping(value, path()) else { return nil }
        let allowed: Set<String> = [
            "context", "dockerfile", "dockerfile_inline", "entitlements", "args", "ssh", "labels", "cache_from",
            "cache_to", "no_cache", "additional_contexts", "network", "provenance", "sbom", "pull", "target",
            "shm_size", "extra_hosts", "isolation", "privileged", "secrets", "tags", "ulimits", "platforms",
        ]
        checkKeys(entries, path(), allowed: allowed)
        var out: [Node.Entry] = []
        for e in entries where allowed.contains(e.key) {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "context": v = text(e.value, p()).map { .string(context($0), e.value.mark) }
            case "dockerfile", "dockerfile_inline", "target", "network", "isolation": v = stringNode(e.value, p())
            case "args": v = listOrDict(e.value, p(), resolveBare: true)
            case "labels", "additional_contexts": v = listOrDict(e.value, p(), resolveBare: false)
            case "cache_from", "cache_to", "tags", "platforms", "entitlements": v = stringList(e.value, p())
            case "no_cache", "pull", "privileged": v = bool(e.value, p()).map { .bool($0, e.value.mark) }
            case "shm_size": v = bytes(e.value, p())
            case "extra_hosts": v = extraHosts(e.value, p())
            case "ulimits": v = ulimits(e.value, p())
            case "secrets": v = fileReferences(e.value, p())
            default: v = e.value
            }
            if let v { out.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
        }
        if value["context"] == nil {
            out.append(.init(key: "context", keyMark: value.mark, value: .string(hostPath("."), value.mark)))
        }
        if value["dockerfile"] == nil && value["dockerfile_inline"] == nil {
            out.append(.init(key: "dockerfile", keyMark: value.mark, value: .string("Dockerfile", value.mark)))
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }
}
