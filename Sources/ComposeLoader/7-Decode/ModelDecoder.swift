import BerthModel

/// Reads the typed `Project` out of a validated canonical tree. Everything
/// here is already checked, so it only converts; a value it cannot read is
/// left at its default rather than trusted.
struct ModelDecoder {
    let projectDirectory: String

    func project(_ model: Node, name: ProjectName, activeProfiles: [String], graph: DependencyGraph) -> Project {
        var services: [String: Service] = [:]
        for e in model["services"]?.entries ?? [] {
            services[e.key] = service(e.key, e.value)
        }
        var networks: [String: Network] = [:]
        for e in model["networks"]?.entries ?? [] {
            let n = e.value
            networks[e.key] = Network(
                name: n["name"]?.scalarText ?? e.key, driver: n["driver"]?.scalarText, driverOptions: strings(n["driver_opts"]),
                external: bool(n["external"]), internal: bool(n["internal"]), enableIPv6: bool(n["enable_ipv6"]),
                labels: strings(n["labels"]),
                ipam: (n["ipam"]?["config"]?.items ?? []).map {
                    IPAMConfig(subnet: $0["subnet"]?.scalarText, gateway: $0["gateway"]?.scalarText, ipRange: $0["ip_range"]?.scalarText)
                })
        }
        var volumes: [String: Volume] = [:]
        for e in model["volumes"]?.entries ?? [] {
            let v = e.value
            volumes[e.key] = Volume(name: v["name"]?.scalarText ?? e.key, driver: v["driver"]?.scalarText, driverOptions: strings(v["driver_opts"]),
                                    external: bool(v["external"]), labels: strings(v["labels"]))
        }
        func fileObjects(_ section: String) -> [String: FileObject] {
            var out: [String: FileObject] = [:]
            for e in model[section]?.entries ?? [] {
                let v = e.value
                let source: FileObject.Source
                if let f = v["file"]?.scalarText { source = .file(f) }
                else if let env = v["environment"]?.scalarText { source = .environment(env) }
                else if let c = v["content"]?.scalarText { source = .content(c) }
                else { source = .external }
                out[e.key] = FileObject(name: v["name"]?.scalarText ?? e.key, source: source, labels: strings(v["labels"]))
            }
            return out
        }
        return Project(name: name, workingDirectory: projectDirectory, services: services, networks: networks, volumes: volumes,
                       secrets: fileObjects("secrets"), configs: fileObjects("configs"), activeProfiles: activeProfiles, graph: graph)
    }

    func service(_ name: String, _ n: Node) -> Service {
        var s = Service(name: name)
        s.image = n["image"]?.scalarText
        if let b = n["build"] {
            s.build = Build(context: b["context"]?.scalarText ?? projectDirectory, dockerfile: b["dockerfile"]?.scalarText,
                            target: b["target"]?.scalarText, args: optionalStrings(b["args"]))
        }
        s.command = list(n["command"])
        s.entrypoint = list(n["entrypoint"])
        s.environment = optionalStrings(n["environment"])
        s.labels = strings(n["labels"])
        s.ports = (n["ports"]?.items ?? []).map { p in
            PortMapping(target: int(p["target"]) ?? 0, published: p["published"]?.scalarText, hostIP: p["host_ip"]?.scalarText,
                        protocol: PortMapping.TransportProtocol(rawValue: p["protocol"]?.scalarText ?? "tcp") ?? .tcp,
                        mode: p["mode"]?.scalarText ?? "ingress")
        }
        s.expose = list(n["expose"]) ?? []
        s.volumes = (n["volumes"]?.items ?? []).map { v in
            Mount(type: Mount.Kind(rawValue: v["type"]?.scalarText ?? "volume") ?? .volume, source: v["source"]?.scalarText,
                  target: v["target"]?.scalarText ?? "", readOnly: bool(v["read_only"]),
                  createHostPath: v["bind"]?["create_host_path"]?.scalarText != "false",
                  selinux: v["bind"]?["selinux"]?.scalarText, propagation: v["bind"]?["propagation"]?.scalarText,
                  nocopy: bool(v["volume"]?["nocopy"]), tmpfsSize: int(v["tmpfs"]?["size"]).map(Int64.init),
                  tmpfsMode: v["tmpfs"]?["mode"]?.scalarText.flatMap(FileModeText.parse))
        }
        s.tmpfs = list(n["tmpfs"]) ?? []
        s.networks = (n["networks"]?.entries ?? []).map { e in
            ServiceNetwork(network: e.key, aliases: list(e.value["aliases"]) ?? [], ipv4Address: e.value["ipv4_address"]?.scalarText,
                           ipv6Address: e.value["ipv6_address"]?.scalarText, priority: int(e.value["priority"]) ?? 0)
        }
        // eth0 is the network with the highest priority; ties go by name, as docker orders them.
        s.networks.sort { $0.priority != $1.priority ? $0.priority > $1.priority : $0.network < $1.network }
        s.networkMode = n["network_mode"]?.scalarText
        for e in n["depends_on"]?.entries ?? [] {
            s.dependsOn[e.key] = Dependency(
                condition: Dependency.Condition(rawValue: e.value["condition"]?.scalarText ?? "") ?? .started,
                restart: bool(e.value["restart"]), required: e.value["required"]?.scalarText != "false")
        }
        s.links = list(n["links"]) ?? []
        s.volumesFrom = list(n["volumes_from"]) ?? []
        s.ipc = n["ipc"]?.scalarText
        s.pid = n["pid"]?.isNull == true ? nil : n["pid"]?.scalarText
        if let h = n["healthcheck"] {
            s.healthcheck = Healthcheck(test: list(h["test"]), interval: duration(h["interval"]), timeout: duration(h["timeout"]),
                                        retries: int(h["retries"]), startPeriod: duration(h["start_period"]),
                                        startInterval: duration(h["start_interval"]), disable: bool(h["disable"]))
        }
        s.restart = n["restart"]?.scalarText.flatMap(RestartPolicy.init) ?? .no
        // docker compose lets deploy.restart_policy decide when it is given (none → no,
        // on-failure[:max_attempts], any → always; no condition is docker's "no").
        if let policy = n["deploy"]?["restart_policy"] {
            switch policy["condition"]?.scalarText {
            case "on-failure": s.restart = .onFailure(maxRetries: int(policy["max_attempts"]).flatMap { $0 > 0 ? $0 : nil })
            case "any": s.restart = .always
            default: s.restart = .no
            }
        }
        s.replicas = int(n["deploy"]?["replicas"]) ?? int(n["scale"]) ?? 1
        let limits = n["deploy"]?["resources"]?["limits"]
        let reservations = n["deploy"]?["resources"]?["reservations"]
        s.resources = Resources(
            memoryLimit: (int(limits?["memory"]) ?? int(n["mem_limit"])).map(Int64.init),
            memoryReservation: (int(reservations?["memory"]) ?? int(n["mem_reservation"])).map(Int64.init),
            cpus: (limits?["cpus"]?.scalarText ?? n["cpus"]?.scalarText).flatMap(Double.init),
            pidsLimit: int(limits?["pids"]) ?? int(n["pids_limit"]),
            shmSize: int(n["shm_size"]).map(Int64.init))
        s.stopSignal = n["stop_signal"]?.scalarText
        s.stopGracePeriod = duration(n["stop_grace_period"])
        for e in n["ulimits"]?.entries ?? [] {
            s.ulimits[e.key] = Ulimit(soft: int(e.value["soft"]) ?? 0, hard: int(e.value["hard"]) ?? 0)
        }
        s.sysctls = strings(n["sysctls"])
        s.extraHosts = list(n["extra_hosts"]) ?? []
        s.dns = list(n["dns"]) ?? []
        s.dnsSearch = list(n["dns_search"]) ?? []
        s.dnsOptions = list(n["dns_opt"]) ?? []
        s.user = n["user"]?.scalarText
        s.workingDir = n["working_dir"]?.scalarText
        s.hostname = n["hostname"]?.scalarText
        s.domainname = n["domainname"]?.scalarText
        s.containerName = n["container_name"]?.scalarText
        s.`init` = bool(n["init"])
        s.readOnly = bool(n["read_only"])
        s.privileged = bool(n["privileged"])
        s.tty = bool(n["tty"])
        s.stdinOpen = bool(n["stdin_open"])
        s.capAdd = list(n["cap_add"]) ?? []
        s.capDrop = list(n["cap_drop"]) ?? []
        s.securityOpt = list(n["security_opt"]) ?? []
        func references(_ key: String) -> [FileReference] {
            (n[key]?.items ?? []).map {
                FileReference(source: $0["source"]?.scalarText ?? "", target: $0["target"]?.scalarText, uid: $0["uid"]?.scalarText,
                              gid: $0["gid"]?.scalarText, mode: $0["mode"]?.scalarText.flatMap(FileModeText.parse))
            }
        }
        s.secrets = references("secrets")
        s.configs = references("configs")
        s.profiles = list(n["profiles"]) ?? []
        s.pullPolicy = n["pull_policy"]?.scalarText
        if let berth = n["x-berth"], berth["restart_on_unhealthy"]?.scalarText.flatMap(ScalarType.bool) == false {
            s.restartOnUnhealthy = false
        }
        s.configHash = ConfigHash.of(n)
        return s
    }

    private func list(_ node: Node?) -> [String]? {
        guard let items = node?.items else { return nil }
        return items.compactMap(\.scalarText)
    }

    private func strings(_ node: Node?) -> [String: String] {
        var out: [String: String] = [:]
        for e in node?.entries ?? [] { out[e.key] = e.value.isNull ? "" : e.value.scalarText ?? "" }
        return out
    }

    private func optionalStrings(_ node: Node?) -> [String: String?] {
        var out: [String: String?] = [:]
        for e in node?.entries ?? [] { out[e.key] = e.value.isNull ? .some(nil) : e.value.scalarText }
        return out
    }

    private func int(_ node: Node?) -> Int? { node?.scalarText.flatMap(ScalarType.int) }
    private func bool(_ node: Node?) -> Bool { node?.scalarText.flatMap(ScalarType.bool) ?? false }
    private func duration(_ node: Node?) -> Int64? { node?.scalarText.flatMap(DurationText.parse) }
}
