import BerthModel

extension LoadedProject {
    /// Per service, every attribute its canonical form sets, as dotted paths:
    /// the top-level keys, and under `deploy` every key at every depth
    /// (`deploy.resources.limits.cpus`). A converter that carries only some
    /// attributes elsewhere (`berth kube generate`) names the rest from this.
    public var serviceAttributes: [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for service in canonical["services"]?.entries ?? [] {
            var paths: Set<String> = []
            for entry in service.value.entries ?? [] {
                paths.insert(entry.key)
                if entry.key == "deploy" { Self.collect(entry.value, prefix: "deploy", into: &paths) }
            }
            out[service.key] = paths
        }
        return out
    }

    private static func collect(_ node: Node, prefix: String, into paths: inout Set<String>) {
        for entry in node.entries ?? [] {
            let path = "\(prefix).\(entry.key)"
            paths.insert(path)
            collect(entry.value, prefix: path, into: &paths)
        }
    }

    /// For each entry of the top-level `section` (`services`, `volumes`), the
    /// scalars of the mapping at `path` under it (`["x-berth", "kube"]`,
    /// `["deploy", "resources", "reservations"]`), as text; entries without it are left out.
    public func extensionScalars(_ section: String, at path: [String]) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for item in canonical[section]?.entries ?? [] {
            var node: Node? = item.value
            for key in path { node = node?[key] }
            var scalars: [String: String] = [:]
            for entry in node?.entries ?? [] {
                if let text = entry.value.scalarText { scalars[entry.key] = text }
            }
            if !scalars.isEmpty { out[item.key] = scalars }
        }
        return out
    }
}
