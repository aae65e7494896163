import BerthModel

/// A pod template in the making: each rule adds its part.
struct PodParts {
    /// Pod-level fields that come before the containers, in print order.
    var fields: [KubeField] = []
    var initContainers: [KubeValue] = []
    var container: [KubeField] = []
    var volumes: [KubeValue] = []
    /// Pod volume names already taken, so a volume mounted twice is declared once.
    var volumeNames: Set<String> = []
    var mounts: [KubeValue] = []
    /// True when a PersistentVolumeClaim is mounted.
    var claims = false
    var claimTemplates: [KubeValue] = []

    /// The pod's spec, fields in a fixed order.
    func spec(restartPolicy: String?) -> KubeValue {
        var out = fields
        if let restartPolicy { out.append(KubeField("restartPolicy", .string(restartPolicy))) }
        if !initContainers.isEmpty { out.append(KubeField("initContainers", .list(initContainers))) }
        var container = container
        if !mounts.isEmpty { container.append(KubeField("volumeMounts", .list(mounts))) }
        out.append(KubeField("containers", .list([.map(container)])))
        if !volumes.isEmpty { out.append(KubeField("volumes", .list(volumes))) }
        return .map(out)
    }

    /// Declares a pod volume once by name.
    mutating func declare(_ name: String, _ source: KubeValue) {
        guard volumeNames.insert(name).inserted else { return }
        volumes.append(.map([KubeField("name", .string(name))] + (source.fieldsOrEmpty)))
    }

    mutating func set(_ key: String, _ value: KubeValue?) {
        if let value { fields.append(KubeField(key, value)) }
    }
}

extension KubeValue {
    /// A mapping's fields; nothing for any other value.
    var fieldsOrEmpty: [KubeField] {
        if case .map(let fields) = self { return fields }
        return []
    }
}

extension Generation {
    /// Every rule that shapes the pod: dependencies, the container, storage, then pod-level settings.
    mutating func buildPod(_ service: Service, kind: WorkloadKind, into pod: inout PodParts) throws(BerthError) {
        addWaits(service, into: &pod)
        pod.container = try container(service, into: &pod)
        addStorage(service, kind: kind, into: &pod)
        podSettings(service, into: &pod)
    }

    /// Host namespaces, names, resolvers, scheduling, sysctls and the stop grace period.
    mutating func podSettings(_ service: Service, into pod: inout PodParts) {
        if needsWaiter(service) { pod.set("serviceAccountName", .string(Self.jobWaiter)) }
        hostname(service, into: &pod)
        namespaces(service, into: &pod)
        if service.`init` {
            // The pause container becomes PID 1 and reaps orphans, as tini does for `init: true`.
            pod.set("shareProcessNamespace", true)
        }
        pod.set("hostAliases", hostAliases(service))
        pod.set("dnsConfig", dnsConfig(service))
        pod.set("nodeSelector", nodeSelector(service))
        if !service.sysctls.isEmpty {
            let sysctls = service.sysctls.keys.sorted().map { key in
                KubeValue.object(["name": .string(key), "value": .string(service.sysctls[key] ?? "")])
            }
            pod.set("securityContext", .object(["sysctls": .list(sysctls)]))
        }
        if let grace = service.stopGracePeriod {
            pod.set("terminationGracePeriodSeconds", .int(Self.seconds(grace)))
        }
    }

    /// Nanoseconds as whole seconds, rounded up (a Kubernetes duration field is in seconds).
    static func seconds(_ nanoseconds: Int64) -> Int {
        let (whole, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return Int(whole) + (rest > 0 ? 1 : 0)
    }

    private mutating func hostname(_ service: Service, into pod: inout PodParts) {
        if let hostname = service.hostname {
            let converted = KubeNames.object(hostname)
            if converted != hostname {
                warn(
                    service.name, "hostname",
                    "\"\(hostname)\" is not a DNS label; the pod's hostname is \(converted ?? "left to Kubernetes")")
            }
            pod.set("hostname", converted.map(KubeValue.string))
        }
        if let domainname = service.domainname {
            warn(
                service.name, "domainname",
                "\"\(domainname)\" has no pod form (a pod's domain is its Service's); dropped")
        }
    }

    private mutating func namespaces(_ service: Service, into pod: inout PodParts) {
        switch service.networkMode {
        case .host?:
            pod.set("hostNetwork", true)
            // Without it a host-network pod resolves through the node, and no Service name resolves.
            pod.set("dnsPolicy", "ClusterFirstWithHostNet")
        case nil, .bridge?, .other?: break
        case let mode?:
            warn(
                service.name, "network_mode",
                "\(mode) has no pod form (containers that share a network are one pod); dropped")
        }
        let modes: [(String, NamespaceMode?, String)] = [
            ("ipc", service.ipc, "hostIPC"), ("pid", service.pid, "hostPID"),
        ]
        for (attribute, mode, field) in modes {
            switch mode {
            case .host?: pod.set(field, true)
            case nil, .private?: break
            case let mode?: warn(service.name, attribute, "\(mode) has no pod form; dropped")
            }
        }
    }

    /// `extra_hosts` (`host=ip`) grouped by address.
    private mutating func hostAliases(_ service: Service) -> KubeValue? {
        var byAddress: [String: [String]] = [:]
        for entry in service.extraHosts {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1] != "host-gateway" else {
                warn(
                    service.name, "extra_hosts", "\"\(entry)\" has no pod form (no host gateway on a cluster); dropped")
                continue
            }
            byAddress[parts[1], default: []].append(parts[0])
        }
        let aliases = byAddress.keys.sorted().map { address in
            KubeValue.object([
                "hostnames": .list((byAddress[address] ?? []).map(KubeValue.string)), "ip": .string(address),
            ])
        }
        return KubeValue.list(aliases).nonEmpty
    }

    /// `dns`, `dns_search` and `dns_opt` add to the cluster's resolver settings (which stay, so Service names resolve).
    private func dnsConfig(_ service: Service) -> KubeValue? {
        let options = service.dnsOptions.compactMap { option -> KubeValue? in
            let parts = option.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first else { return nil }
            return .object(["name": .string(name), "value": parts.count == 2 ? .string(parts[1]) : nil])
        }
        return KubeValue.object([
            "nameservers": KubeValue.list(service.dns.map(KubeValue.string)).nonEmpty,
            "searches": KubeValue.list(service.dnsSearch.map(KubeValue.string)).nonEmpty,
            "options": KubeValue.list(options).nonEmpty,
        ]).nonEmpty
    }

    /// `platform: linux/arm64` schedules the pod on such nodes.
    private mutating func nodeSelector(_ service: Service) -> KubeValue? {
        guard let platform = service.platform else { return nil }
        let parts = platform.split(separator: "/").map(String.init)
        guard parts.count >= 2 else {
            warn(service.name, "platform", "\"\(platform)\" is not os/arch; dropped")
            return nil
        }
        if parts.count > 2 {
            warn(
                service.name, "platform",
                "the variant \(parts[2]) has no node label; only \(parts[0])/\(parts[1]) is required")
        }
        return .sorted(["kubernetes.io/arch": parts[1], "kubernetes.io/os": parts[0]])
    }
}
