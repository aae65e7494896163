import BerthModel

/// One port a service listens on: from `ports` (maybe published) or `expose`.
struct ServicePort: Hashable {
    var target: Int
    /// `TCP`, `UDP` or `SCTP`.
    var transport: String
    /// From `ports`: published on the host (on an ephemeral port when `published` is nil).
    var publishes = false
    /// The host port, when `ports` publishes a single one.
    var published: Int?
    /// The host address it is published on, when one is named.
    var hostIP: String?
    /// The `ports` entry's text when it publishes something a Service cannot offer (a range).
    var unusable: String?

    /// `tcp-8080`: a Service port's name (15 characters at most; this is 10 at most).
    var name: String { "\(transport.lowercased())-\(target)" }
}

extension Generation {
    /// The ports of `ports` and `expose`, listened ones first deduplicated by (port, protocol).
    static func servicePorts(_ service: Service) -> [ServicePort] {
        var out: [ServicePort] = []
        for mapping in service.ports where mapping.target > 0 {
            var port = ServicePort(target: mapping.target, transport: mapping.protocol.rawValue.uppercased())
            port.publishes = true
            port.hostIP = mapping.hostIP
            if let published = mapping.published {
                if let single = Int(published) { port.published = single } else { port.unusable = published }
            }
            out.append(port)
        }
        for text in service.expose {
            let parts = text.split(separator: "/", maxSplits: 1)
            let transport = parts.count == 2 ? parts[1].uppercased() : "TCP"
            let range = (parts.first ?? "").split(separator: "-", maxSplits: 1).compactMap { Int($0) }
            guard let low = range.first, let high = range.last, low <= high, high - low < 1000 else { continue }
            for port in low...high { out.append(ServicePort(target: port, transport: transport)) }
        }
        return out
    }

    /// The distinct (port, protocol) pairs the container listens on, sorted.
    func listening(_ service: String) -> [ServicePort] {
        var seen: Set<String> = []
        var out: [ServicePort] = []
        for port in ports[service] ?? [] where seen.insert(port.name).inserted {
            out.append(ServicePort(target: port.target, transport: port.transport))
        }
        return out.sorted { ($0.target, $0.transport) < ($1.target, $1.transport) }
    }

    /// The labels that pick a service's pods: the compose project and service, as docker compose labels them.
    func selector(_ service: String) -> [String: String] {
        [
            "com.docker.compose.project": KubeNames.labelValue(project.name.rawValue),
            "com.docker.compose.service": KubeNames.labelValue(service),
        ]
    }

    /// A ClusterIP Service named for the compose service (so the name resolves as on
    /// Berth's DNS), one per alias, and one for published ports with `--publish-as`.
    mutating func addServices(_ service: Service) {
        guard let name = names[service.name], service.networkMode != .host else { return }
        let listened = listening(service.name)
        if listened.isEmpty {
            warnUnreachable(service)
            return
        }
        let clusterPorts: [KubeValue] = listened.map { port in
            .object([
                "name": .string(port.name), "port": .int(port.target), "protocol": .string(port.transport),
                "targetPort": .int(port.target),
            ])
        }
        add(serviceObject(name, service: service.name, type: nil, ports: clusterPorts))
        var aliases: Set<String> = []
        for network in service.networks {
            for alias in network.aliases where alias != service.name && aliases.insert(alias).inserted {
                guard let converted = KubeNames.object(alias) else {
                    warn(
                        service.name, "networks", "alias \"\(alias)\" has no Kubernetes name; no Service is made for it"
                    )
                    continue
                }
                var object = serviceObject(converted, service: service.name, type: nil, ports: clusterPorts)
                object.origin = "the alias \"\(alias)\" of service \"\(service.name)\""
                add(object)
            }
        }
        addPublished(service, name: name)
    }

    /// Published ports: a NodePort or LoadBalancer Service with `--publish-as`, else a WARN.
    private mutating func addPublished(_ service: Service, name: String) {
        let all = ports[service.name] ?? []
        for port in all where port.unusable != nil {
            warn(
                service.name, "ports",
                "published range \(port.unusable ?? "") of port \(port.target) has no Service form; not published")
        }
        var published: [ServicePort] = []
        for port in all where port.publishes && port.unusable == nil {
            guard let address = port.hostIP, !address.isEmpty, address != "0.0.0.0", address != "::" else {
                published.append(port)
                continue
            }
            if address.hasPrefix("127.") || address == "::1" {
                // Published for the host alone: outside the cluster nobody should reach it.
                warn(
                    service.name, "ports",
                    "port \(port.target) is published on \(address) only; it stays inside the cluster "
                        + "(kubectl port-forward reaches it)")
            } else {
                warn(
                    service.name, "ports",
                    "port \(port.target) is published on \(address); a Service cannot choose the address, "
                        + "so it is published on every one")
                published.append(port)
            }
        }
        guard !published.isEmpty else { return }
        let list = published.map { "\($0.published.map(String.init) ?? "(any)"):\($0.target)" }.joined(separator: ", ")
        guard let publishAs = options.publishAs else {
            warn(
                service.name, "ports",
                "published ports \(list) are reachable only inside the cluster (through Service \"\(name)\"); "
                    + "pass --publish-as NodePort or LoadBalancer, or use kubectl port-forward")
            return
        }
        var seen: Set<String> = []
        var values: [KubeValue] = []
        for port in published {
            let external = port.published ?? port.target
            guard seen.insert("\(port.transport)-\(external)").inserted else { continue }
            var nodePort: KubeValue?
            if publishAs == .nodePort, let fixed = port.published {
                if (30000...32767).contains(fixed) {
                    nodePort = .int(fixed)
                } else {
                    warn(
                        service.name, "ports",
                        "published port \(fixed) is outside NodePort's range 30000-32767; the cluster picks the node port"
                    )
                }
            }
            values.append(
                .object([
                    "name": .string("\(port.transport.lowercased())-\(external)"), "nodePort": nodePort,
                    "port": .int(external), "protocol": .string(port.transport), "targetPort": .int(port.target),
                ]))
        }
        let objectName = KubeNames.object("\(name)-published") ?? name
        var object = serviceObject(objectName, service: service.name, type: publishAs.rawValue, ports: values)
        object.origin = "the published ports of service \"\(service.name)\""
        add(object)
    }

    private func serviceObject(_ name: String, service: String, type: String?, ports: [KubeValue]) -> KubeObject {
        let value = KubeValue.object([
            "apiVersion": "v1", "kind": "Service",
            "metadata": .object(["name": .string(name), "labels": .sorted(selector(service))]),
            "spec": .object([
                "type": type.map(KubeValue.string), "selector": .sorted(selector(service)), "ports": .list(ports),
            ]),
        ])
        return KubeObject(kind: "Service", name: name, origin: "service \"\(service)\"", value: value)
    }

    /// A service others name (a dependency, or one with aliases) but that lists no port has no Service.
    private mutating func warnUnreachable(_ service: Service) {
        // Waiting for a Job to complete needs no Service.
        let dependents = selected.filter {
            guard let dependency = project.services[$0]?.dependsOn[service.name] else { return false }
            return dependency.condition != .completedSuccessfully
        }
        let aliased = service.networks.contains { !$0.aliases.isEmpty }
        guard !dependents.isEmpty || aliased else { return }
        warnings.append(
            "service \(service.name): no ports or expose: no Service is made, so other pods cannot reach it by the "
                + "name \"\(service.name)\"; list the ports it listens on under expose:")
    }
}
