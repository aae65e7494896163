import BerthModel

extension Finalizer {
    /// Gives each network, volume, secret and config without a `name` its
    /// name on the host: `<project>_<key>`, or the key itself when external.
    func nameResources(_ model: inout Node) {
        for section in ["networks", "volumes", "secrets", "configs"] {
            guard let entries = model[section]?.entries else { continue }
            model[section] = Node(
                .mapping(
                    entries.map { e in
                        var e = e
                        if e.value["name"] == nil {
                            let external = e.value["external"]?.scalarText == "true"
                            e.value["name"] = .string(external ? e.key : "\(name.rawValue)_\(e.key)")
                        }
                        return e
                    }), mark: model[section]?.mark ?? .synthetic)
        }
    }
}
