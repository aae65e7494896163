import BerthModel

/// The profiles of a load: which are active, which any service declares,
/// and the services they leave out.
struct ActiveProfiles {
    var active: Set<String>
    var all: Set<String>
    /// Services left out, by name: a reference to one gets its own message.
    var disabled: [String: Node]
}

extension Finalizer {
    /// Takes the services no active profile enables out of `services`. A
    /// service named on the command line turns its profiles on; one that
    /// does not exist is an error.
    mutating func applyProfiles(_ services: inout [Node.Entry]) -> ActiveProfiles {
        var allProfiles = Set<String>()
        var active = Set(options.profiles)
        for s in services {
            let profiles = s.value["profiles"]?.items?.compactMap(\.scalarText) ?? []
            allProfiles.formUnion(profiles)
            if options.services.contains(s.key) { active.formUnion(profiles) }
        }
        let enabled: (Node) -> Bool = { service in
            guard let profiles = service["profiles"]?.items, !profiles.isEmpty else { return true }
            return active.contains("*") || profiles.contains { active.contains($0.scalarText ?? "") }
        }
        let disabled = Dictionary(
            services.filter { !enabled($0.value) }.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        services.removeAll { disabled[$0.key] != nil }
        for requested in options.services where !services.contains(where: { $0.key == requested }) {
            var message = "no such service: \(requested)"
            // Disabled services count: naming one would have enabled it.
            if let close = Suggest.closest(to: requested, in: services.map(\.key) + disabled.keys.sorted()) {
                message += "; did you mean \"\(close)\"?"
            }
            errors.append(BerthError(.invalidCompose, message))
        }
        return ActiveProfiles(active: active, all: allProfiles, disabled: disabled)
    }
}
