/// Merging of canonical trees, by the rules of the Compose Specification's
/// 13-merge.md: mappings merge by key, sequences append, scalars are replaced;
/// `command`, `entrypoint` and `healthcheck.test` are replaced whole; in `ports`,
/// `volumes`, `secrets` and `configs` a later entry replaces the earlier one
/// that shares its unique key; `!reset` removes and `!override` replaces.
///
/// The same rules serve `extends` (the extended service is the base) and
/// several `-f` files (each file overrides the one before).
enum Merge {
    /// `over` merged onto `base`. `path` is the key path from the file's root
    /// (`["services", "web", "ports"]`), which selects the special rules.
    static func merge(_ base: Node, _ over: Node, path: [String]) -> Node {
        if over.tag == .override { return withoutTags(over) }
        switch (base.value, over.value) {
        case (.mapping(let a), .mapping(let b)):
            var entries = a
            // Keys are found through a dictionary on large mappings (a thousand services).
            var index: [String: Int] = [:]
            if a.count > 8 { for (i, e) in a.enumerated() { index[e.key] = i } }
            for e in b {
                let found = a.count > 8 ? index[e.key] : entries.firstIndex { $0.key == e.key }
                if let i = found {
                    // A reset entry is marked here and dropped after the loop, so indices stay valid.
                    entries[i].value =
                        e.value.tag == .reset
                        ? Node(.scalar("", .plain), mark: e.value.mark, tag: .reset)
                        : merge(entries[i].value, e.value, path: path + [e.key])
                } else if e.value.tag != .reset {
                    entries.append(Node.Entry(key: e.key, keyMark: e.keyMark, value: withoutTags(e.value)))
                    if a.count > 8 { index[e.key] = entries.count - 1 }
                }
            }
            entries.removeAll { $0.value.tag == .reset }
            return Node(.mapping(entries), mark: over.mark, tag: base.tag == .ordered ? .ordered : .none)
        case (.sequence(let a), .sequence(let b)):
            if replacesWhole(path) { return withoutTags(over) }
            if let key = uniqueKey(path) {
                var items = a
                for item in b {
                    let k = key(item)
                    if let k, let i = items.firstIndex(where: { key($0) == k }) {
                        // Whole, not merged field by field: `./b:/data` over
                        // `./a:/data:ro` is read-write, as compose-go's
                        // EnforceUnicity and docker-compose 1.29 have it.
                        items[i] = withoutTags(item)
                    } else {
                        items.append(withoutTags(item))
                    }
                }
                return Node(.sequence(items), mark: over.mark)
            }
            var items = a + b.map(withoutTags)
            if dedupes(path) {
                var seen = Set<String>()
                items = items.filter { item in
                    guard let text = item.scalarText else { return true }
                    return seen.insert(text).inserted
                }
            }
            return Node(.sequence(items), mark: over.mark)
        default:
            return withoutTags(over)
        }
    }

    /// Fields whose value is a command line: the later one wins whole.
    private static func replacesWhole(_ path: [String]) -> Bool {
        guard path.count >= 3, path[0] == "services" else { return false }
        switch path[2] {
        case "command", "entrypoint": return path.count == 3
        case "healthcheck": return path.count == 4 && path[3] == "test"
        default: return false
        }
    }

    /// Lists whose duplicates are dropped after a merge (the spec's "sequences" list).
    private static func dedupes(_ path: [String]) -> Bool {
        guard path.count == 3, path[0] == "services" else { return false }
        return [
            "cap_add", "cap_drop", "device_cgroup_rules", "expose", "external_links", "security_opt", "extra_hosts",
            "profiles", "links", "volumes_from",
        ].contains(path[2])
    }

    /// The unique key of a `ports`, `volumes`, `secrets` or `configs` entry.
    private static func uniqueKey(_ path: [String]) -> ((Node) -> String?)? {
        guard path.count == 3, path[0] == "services" else { return nil }
        switch path[2] {
        case "ports":
            return { n in
                [
                    n["host_ip"]?.scalarText ?? "", n["target"]?.scalarText ?? "", n["published"]?.scalarText ?? "",
                    n["protocol"]?.scalarText ?? "tcp",
                ].joined(separator: "|")
            }
        case "volumes":
            return { $0["target"]?.scalarText }
        case "secrets", "configs":
            return { n in n["target"]?.scalarText ?? n["source"]?.scalarText }
        default:
            return nil
        }
    }

    /// The node with `!reset`/`!override` tags removed at every level.
    static func withoutTags(_ node: Node) -> Node {
        var node = node
        if node.tag == .reset || node.tag == .override { node.tag = .none }
        switch node.value {
        case .scalar: return node
        case .sequence(let items):
            if items.contains(where: hasTag) { node.value = .sequence(items.map(withoutTags)) }
        case .mapping(let entries):
            if entries.contains(where: { hasTag($0.value) }) {
                node.value = .mapping(
                    entries.compactMap { e in
                        e.value.tag == .reset
                            ? nil : Node.Entry(key: e.key, keyMark: e.keyMark, value: withoutTags(e.value))
                    })
            }
        }
        return node
    }

    private static func hasTag(_ node: Node) -> Bool {
        if node.tag == .reset || node.tag == .override { return true }
        switch node.value {
        case .scalar: return false
        case .sequence(let items): return items.contains(where: hasTag)
        case .mapping(let entries): return entries.contains { hasTag($0.value) }
        }
    }
}
