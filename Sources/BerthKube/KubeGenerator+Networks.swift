import BerthModel

extension Generation {
    /// The compose networks a service's pods are on (none with `network_mode`).
    func podNetworks(_ service: Service) -> [String] {
        switch service.networkMode {
        case nil, .bridge?, .other?: return service.networks.map(\.network).sorted()
        default: return []
        }
    }

    /// The pod label that marks membership of compose network `network`.
    func networkLabel(_ network: String) -> String {
        "berth.networks/\(KubeNames.object(network) ?? "network")"
    }

    /// Networks as NetworkPolicies, as Berth's bridges isolate: the project's
    /// pods take traffic only from pods that share one of their networks
    /// (and, with `--publish-as`, on their published ports from anywhere);
    /// a pod whose networks are all `internal: true` sends only to pods on
    /// them, and to DNS.
    mutating func addNetworkPolicies() {
        var used: Set<String> = []
        for name in selected {
            guard let service = project.services[name] else { continue }
            for network in podNetworks(service) { used.insert(network) }
            for network in service.networks where network.ipv4Address != nil || network.ipv6Address != nil {
                warn(
                    name, "networks.\(network.network)",
                    "a fixed address has no pod form (the cluster assigns pod addresses); dropped")
            }
        }
        guard !used.isEmpty else { return }
        let project = KubeNames.labelValue(self.project.name.rawValue)
        let projectLabel = ["com.docker.compose.project": project]
        let prefix = KubeNames.object(self.project.name.rawValue) ?? "project"
        addPolicy(
            "\(prefix)-isolate", origin: "the project's isolation",
            spec: [
                KubeField("podSelector", .object(["matchLabels": .sorted(projectLabel)])),
                KubeField("policyTypes", ["Ingress"]),
            ])
        let open = used.filter { self.project.networks[$0]?.internal != true }.sorted()
        for network in used.sorted() {
            warnNetwork(network)
            var members = projectLabel
            members[networkLabel(network)] = "true"
            let selector = KubeValue.object(["matchLabels": .sorted(members)])
            addPolicy(
                "\(prefix)-network-\(network)", origin: "network \"\(network)\"",
                spec: [
                    KubeField("podSelector", selector), KubeField("policyTypes", ["Ingress"]),
                    KubeField("ingress", [.object(["from": [.object(["podSelector": selector])]])]),
                ])
            guard self.project.networks[network]?.internal == true else { continue }
            let onlyInternal = open.map {
                KubeValue.object(["key": .string(networkLabel($0)), "operator": "DoesNotExist"])
            }
            let dns: [KubeValue] = [
                .object(["port": 53, "protocol": "UDP"]), .object(["port": 53, "protocol": "TCP"]),
            ]
            addPolicy(
                "\(prefix)-internal-\(network)", origin: "the internal network \"\(network)\"",
                spec: [
                    KubeField(
                        "podSelector",
                        .object([
                            "matchExpressions": KubeValue.list(onlyInternal).nonEmpty, "matchLabels": .sorted(members),
                        ])),
                    KubeField("policyTypes", ["Egress"]),
                    KubeField(
                        "egress",
                        [.object(["to": [.object(["podSelector": selector])]]), .object(["ports": .list(dns)])]),
                ])
        }
        addPublishedPolicies(prefix)
    }

    /// With `--publish-as`, published ports take traffic from anywhere, as a host's published port does.
    private mutating func addPublishedPolicies(_ prefix: String) {
        guard options.publishAs != nil else { return }
        for name in selected {
            guard let service = project.services[name], service.networkMode != .host else { continue }
            let published = (ports[name] ?? []).filter { port in
                port.publishes && port.unusable == nil && !(port.hostIP?.hasPrefix("127.") ?? false)
                    && port.hostIP != "::1"
            }
            guard !published.isEmpty else { continue }
            var seen: Set<String> = []
            let list = published.filter { seen.insert($0.name).inserted }.map { port in
                KubeValue.object(["port": .int(port.target), "protocol": .string(port.transport)])
            }
            addPolicy(
                "\(prefix)-published-\(name)", origin: "the published ports of service \"\(name)\"",
                spec: [
                    KubeField("podSelector", .object(["matchLabels": .sorted(selector(name))])),
                    KubeField("policyTypes", ["Ingress"]), KubeField("ingress", [.object(["ports": .list(list)])]),
                ])
        }
    }

    private mutating func addPolicy(_ name: String, origin: String, spec: [KubeField]) {
        let objectName = KubeNames.object(name) ?? "policy"
        add(
            KubeObject(
                kind: "NetworkPolicy", name: objectName, origin: origin,
                value: .object([
                    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": .object([
                        "name": .string(objectName),
                        "labels": .sorted(["com.docker.compose.project": KubeNames.labelValue(project.name.rawValue)]),
                    ]),
                    "spec": .map(spec),
                ])))
    }

    /// A network's attributes that a NetworkPolicy cannot carry.
    private mutating func warnNetwork(_ key: String) {
        guard let network = project.networks[key] else { return }
        var dropped: [String] = []
        if let driver = network.driver, driver != "bridge" { dropped.append("driver") }
        if !network.driverOptions.isEmpty { dropped.append("driver_opts") }
        if !network.ipam.isEmpty { dropped.append("ipam") }
        if network.enableIPv6 { dropped.append("enable_ipv6") }
        for attribute in dropped {
            warnings.append(
                "network \(key): attribute \(attribute): has no Kubernetes meaning (the cluster's network decides); dropped"
            )
        }
        if network.external {
            warnings.append(
                "network \(key): external: only this project's pods are given its label \(networkLabel(key)); "
                    + "label the other pods that share it")
        }
    }
}
