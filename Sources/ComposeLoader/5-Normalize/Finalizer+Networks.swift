import BerthModel

extension Finalizer {
    /// A service's networks: none given (and no `network_mode`) means the
    /// project's default network. Each network named must be declared, but
    /// `default`, which the project makes when the file declares none.
    mutating func attachNetworks(
        _ service: inout Node, _ fields: ServiceFields, _ scope: ProjectScope, _ base: @autoclosure () -> String
    ) {
        let networkMode = fields.networkMode
        var networks = fields.networks
        if let networkMode, networks != nil {
            fail(networkMode.mark, "\(base()).network_mode", "network_mode and networks cannot both be set")
        }
        if networkMode == nil && networks == nil {
            networks = .map([("default", .null())])
            service["networks"] = networks
        }
        for n in networks?.entries ?? [] {
            if n.key == "default" && !scope.networks.contains(where: { $0.key == "default" }) {
                usesDefaultNetwork = true
            } else if !scope.networks.contains(where: { $0.key == n.key }) {
                fail(n.keyMark, "\(base()).networks.\(n.key)", undefined("network", n.key, scope.networks.map(\.key)))
            }
        }
    }

    /// Adds the default network to the declared ones.
    func addDefaultNetwork(_ model: inout Node, declared: [Node.Entry]) {
        var networks = declared
        networks.append(.init(key: "default", keyMark: .synthetic, value: .map([])))
        model["networks"] = .init(.mapping(networks))
    }
}
