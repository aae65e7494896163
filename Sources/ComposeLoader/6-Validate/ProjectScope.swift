import BerthModel

/// What a service's references may name: the declared networks, volumes,
/// secrets and configs, and the services, enabled or left out by profiles.
struct ProjectScope {
    var networks: [Node.Entry]
    var volumes: [Node.Entry]
    var secrets: [Node.Entry]
    var configs: [Node.Entry]
    /// The enabled services.
    var serviceNames: Set<String>
    /// Services left out by profiles, by name.
    var disabled: [String: Node]

    init(_ model: Node, services: [Node.Entry], disabled: [String: Node]) {
        networks = model["networks"]?.entries ?? []
        volumes = model["volumes"]?.entries ?? []
        secrets = model["secrets"]?.entries ?? []
        configs = model["configs"]?.entries ?? []
        serviceNames = Set(services.map(\.key))
        self.disabled = disabled
    }
}
