import BerthModel

extension ModelDecoder {
    /// A service, read field group by field group, with its config hash.
    func service(_ name: String, _ n: Node) -> Service {
        var s = Service(name: name)
        decodeProcess(&s, n)
        decodeNetworking(&s, n)
        decodeSharing(&s, n)
        decodeStorage(&s, n)
        decodeLifecycle(&s, n)
        decodeResources(&s, n)
        decodeHostAccess(&s, n)
        let unapplied = Self.unappliedSettings(n)
        if !unapplied.isEmpty { s.unapplied = unapplied }
        s.configHash = ConfigHash.of(n)
        return s
    }

    /// `blkio_config`: rates in bytes (`12mb`) or numbers; entries without a
    /// path or a readable value are left out.
    static func blkio(_ n: Node) -> BlkioConfig {
        func devices(_ key: String, _ field: String) -> [BlkioConfig.Device] {
            (n[key]?.items ?? []).compactMap { item in
                guard let path = item["path"]?.scalarText, let text = item[field]?.scalarText,
                    let value = Int64(text) ?? ByteSize.parse(text)
                else { return nil }
                return BlkioConfig.Device(path: path, value: value)
            }
        }
        return BlkioConfig(
            weight: n["weight"]?.scalarText.flatMap { Int($0) }, weightDevice: devices("weight_device", "weight"),
            readBps: devices("device_read_bps", "rate"), writeBps: devices("device_write_bps", "rate"),
            readIops: devices("device_read_iops", "rate"), writeIops: devices("device_write_iops", "rate"))
    }

    /// The settings of `ServiceAttributes.unapplied` that service `n` sets.
    static func unappliedSettings(_ n: Node) -> [String] {
        ServiceAttributes.unapplied.compactMap { entry in
            let found = nodes(at: entry.path.split(separator: ".").map(String.init)[...], in: n)
            let set = found.contains { node in !node.isNull && entry.isUnapplied(node.scalarText) }
            return set ? entry.setting : nil
        }
    }

    /// The nodes at `path` under `n`: `key[]` steps into every item of a
    /// list, `*` into every value of a mapping.
    private static func nodes(at path: ArraySlice<String>, in n: Node) -> [Node] {
        guard let step = path.first else { return [n] }
        let rest = path.dropFirst()
        if step == "*" { return (n.entries ?? []).flatMap { nodes(at: rest, in: $0.value) } }
        if step.hasSuffix("[]") {
            return (n[String(step.dropLast(2))]?.items ?? []).flatMap { nodes(at: rest, in: $0) }
        }
        return n[step].map { nodes(at: rest, in: $0) } ?? []
    }

    /// What runs and as whom: image, build, command line, environment, identity, privileges.
    private func decodeProcess(_ s: inout Service, _ n: Node) {
        s.image = n["image"]?.scalarText
        if let b = n["build"] { s.build = build(b) }
        s.command = list(n["command"])
        s.entrypoint = list(n["entrypoint"])
        s.environment = optionalStrings(n["environment"])
        s.labels = strings(n["labels"])
        s.sysctls = strings(n["sysctls"])
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
        s.profiles = list(n["profiles"]) ?? []
        s.pullPolicy = n["pull_policy"]?.scalarText
        s.platform = n["platform"]?.scalarText
    }

    /// `build:`, every key Berth applies (the rest are in `ServiceAttributes.unapplied`).
    private func build(_ b: Node) -> Build {
        var build = Build(
            context: b["context"]?.scalarText ?? projectDirectory, dockerfile: b["dockerfile"]?.scalarText,
            target: b["target"]?.scalarText, args: optionalStrings(b["args"]))
        build.dockerfileInline = b["dockerfile_inline"]?.scalarText
        build.labels = strings(b["labels"])
        build.noCache = bool(b["no_cache"])
        build.pull = bool(b["pull"])
        build.tags = list(b["tags"]) ?? []
        build.secrets = (b["secrets"]?.items ?? []).map {
            FileReference(source: $0["source"]?.scalarText ?? "", target: $0["target"]?.scalarText)
        }
        build.network = b["network"]?.scalarText
        build.extraHosts = list(b["extra_hosts"]) ?? []
        build.shmSize = int(b["shm_size"]).map(Int64.init)
        for e in b["ulimits"]?.entries ?? [] {
            build.ulimits[e.key] = Ulimit(soft: int(e.value["soft"]) ?? 0, hard: int(e.value["hard"]) ?? 0)
        }
        build.additionalContexts = strings(b["additional_contexts"])
        return build
    }

    /// What of the host a container gets (namespaces, cgroup, groups,
    /// devices), and how `up` treats it (attach, lifecycle hooks).
    private func decodeHostAccess(_ s: inout Service, _ n: Node) {
        s.uts = n["uts"]?.scalarText
        s.cgroup = n["cgroup"]?.scalarText
        s.groupAdd = list(n["group_add"])
        s.cgroupParent = n["cgroup_parent"]?.scalarText
        if n["attach"] != nil { s.attach = bool(n["attach"]) }
        func hooks(_ key: String) -> [ServiceHook]? {
            n[key]?.items.map { items in
                items.map { h in
                    ServiceHook(
                        command: list(h["command"]) ?? [], user: h["user"]?.scalarText,
                        workingDir: h["working_dir"]?.scalarText,
                        environment: optionalStrings(h["environment"]).compactMapValues { $0 },
                        privileged: bool(h["privileged"]))
                }
            }
        }
        s.postStart = hooks("post_start")
        s.preStop = hooks("pre_stop")
        s.devices = n["devices"]?.items.map { items in
            items.compactMap { item in
                if let text = item.scalarText { return DeviceMapping(parsing: text) }
                guard let source = item["source"]?.scalarText else { return nil }
                return DeviceMapping(
                    source: source, target: item["target"]?.scalarText,
                    permissions: item["permissions"]?.scalarText ?? "rwm")
            }
        }
        s.deviceCgroupRules = list(n["device_cgroup_rules"])
    }

    /// Ports, networks, names and resolvers.
    private func decodeNetworking(_ s: inout Service, _ n: Node) {
        s.ports = (n["ports"]?.items ?? []).map { p in
            PortMapping(
                target: int(p["target"]) ?? 0, published: p["published"]?.scalarText, hostIP: p["host_ip"]?.scalarText,
                protocol: PortMapping.TransportProtocol(rawValue: p["protocol"]?.scalarText ?? "tcp") ?? .tcp,
                mode: p["mode"]?.scalarText ?? "ingress")
        }
        s.expose = list(n["expose"]) ?? []
        s.networks = (n["networks"]?.entries ?? []).map { e in
            var network = ServiceNetwork(
                network: e.key, aliases: list(e.value["aliases"]) ?? [],
                ipv4Address: e.value["ipv4_address"]?.scalarText,
                ipv6Address: e.value["ipv6_address"]?.scalarText, priority: int(e.value["priority"]) ?? 0)
            network.macAddress = e.value["mac_address"]?.scalarText
            return network
        }
        s.macAddress = n["mac_address"]?.scalarText
        // eth0 is the network with the highest priority; ties go by name, as docker orders them.
        s.networks.sort { $0.priority != $1.priority ? $0.priority > $1.priority : $0.network < $1.network }
        s.links = list(n["links"]) ?? []
        s.extraHosts = list(n["extra_hosts"]) ?? []
        s.dns = list(n["dns"]) ?? []
        s.dnsSearch = list(n["dns_search"]) ?? []
        s.dnsOptions = list(n["dns_opt"]) ?? []
    }

    /// What a service shares with another service or container: its network,
    /// IPC and PID namespaces and its volumes.
    private func decodeSharing(_ s: inout Service, _ n: Node) {
        s.networkMode = n["network_mode"]?.scalarText.map(NetworkMode.init)
        s.ipc = n["ipc"]?.scalarText.map(NamespaceMode.init)
        s.pid = n["pid"]?.isNull == true ? nil : n["pid"]?.scalarText.map(NamespaceMode.init)
        // Validation refused the entries that do not parse.
        s.volumesFrom = (list(n["volumes_from"]) ?? []).compactMap(VolumesFrom.init(parsing:))
    }

    /// Mounts, and the secrets and configs mounted as files.
    private func decodeStorage(_ s: inout Service, _ n: Node) {
        s.volumes = (n["volumes"]?.items ?? []).map { v in
            var mount = Mount(
                type: Mount.Kind(rawValue: v["type"]?.scalarText ?? "volume") ?? .volume,
                source: v["source"]?.scalarText,
                target: v["target"]?.scalarText ?? "", readOnly: bool(v["read_only"]),
                createHostPath: v["bind"]?["create_host_path"]?.scalarText != "false",
                selinux: v["bind"]?["selinux"]?.scalarText, propagation: v["bind"]?["propagation"]?.scalarText,
                nocopy: bool(v["volume"]?["nocopy"]), tmpfsSize: int(v["tmpfs"]?["size"]).map(Int64.init),
                tmpfsMode: v["tmpfs"]?["mode"]?.scalarText.flatMap(FileModeText.parse))
            mount.subpath = v["volume"]?["subpath"]?.scalarText
            return mount
        }
        s.tmpfs = list(n["tmpfs"]) ?? []
        func references(_ key: String) -> [FileReference] {
            (n[key]?.items ?? []).map {
                FileReference(
                    source: $0["source"]?.scalarText ?? "", target: $0["target"]?.scalarText,
                    uid: $0["uid"]?.scalarText,
                    gid: $0["gid"]?.scalarText, mode: $0["mode"]?.scalarText.flatMap(FileModeText.parse))
            }
        }
        s.secrets = references("secrets")
        s.configs = references("configs")
    }

    /// Start order, health, restarts, replicas and stopping.
    private func decodeLifecycle(_ s: inout Service, _ n: Node) {
        for e in n["depends_on"]?.entries ?? [] {
            s.dependsOn[e.key] = Dependency(
                condition: Dependency.Condition(rawValue: e.value["condition"]?.scalarText ?? "") ?? .started,
                restart: bool(e.value["restart"]), required: e.value["required"]?.scalarText != "false")
        }
        if let h = n["healthcheck"] {
            s.healthcheck = Healthcheck(
                test: list(h["test"]), interval: duration(h["interval"]), timeout: duration(h["timeout"]),
                retries: int(h["retries"]), startPeriod: duration(h["start_period"]),
                startInterval: duration(h["start_interval"]), disable: bool(h["disable"]))
        }
        s.restart = n["restart"]?.scalarText.flatMap(RestartPolicy.init) ?? .no
        if let l = n["logging"] {
            s.logging = Logging(driver: l["driver"]?.scalarText, options: strings(l["options"]))
        }
        // docker compose lets deploy.restart_policy decide when it is given (none → no,
        // on-failure[:max_attempts], any → always; no condition is docker's "no").
        if let policy = n["deploy"]?["restart_policy"] {
            switch policy["condition"]?.scalarText {
            case "on-failure":
                s.restart = .onFailure(maxRetries: int(policy["max_attempts"]).flatMap { $0 > 0 ? $0 : nil })
            case "any": s.restart = .always
            default: s.restart = .no
            }
        }
        s.replicas = int(n["deploy"]?["replicas"]) ?? int(n["scale"]) ?? 1
        s.stopSignal = n["stop_signal"]?.scalarText
        s.stopGracePeriod = duration(n["stop_grace_period"])
        if let berth = n["x-berth"], berth["restart_on_unhealthy"]?.scalarText.flatMap(ScalarType.bool) == false {
            s.restartOnUnhealthy = false
        }
    }

    /// Limits and reservations (`deploy.resources` wins over the service-level keys) and ulimits.
    private func decodeResources(_ s: inout Service, _ n: Node) {
        let limits = n["deploy"]?["resources"]?["limits"]
        let reservations = n["deploy"]?["resources"]?["reservations"]
        s.resources = Resources(
            memoryLimit: (int(limits?["memory"]) ?? int(n["mem_limit"])).map(Int64.init),
            memoryReservation: (int(reservations?["memory"]) ?? int(n["mem_reservation"])).map(Int64.init),
            cpus: (limits?["cpus"]?.scalarText ?? n["cpus"]?.scalarText).flatMap(Double.init),
            pidsLimit: int(limits?["pids"]) ?? int(n["pids_limit"]),
            shmSize: int(n["shm_size"]).map(Int64.init))
        s.resources.memorySwap = int(n["memswap_limit"]).map(Int64.init)
        s.resources.memorySwappiness = int(n["mem_swappiness"])
        s.resources.oomKillDisable = n["oom_kill_disable"].map { _ in bool(n["oom_kill_disable"]) }
        s.resources.oomScoreAdj = int(n["oom_score_adj"])
        s.resources.cpuShares = int(n["cpu_shares"])
        s.resources.cpuset = n["cpuset"]?.scalarText
        s.resources.cpuQuota = int(n["cpu_quota"]).map(Int64.init)
        s.resources.cpuPeriod = int(n["cpu_period"]).map(Int64.init)
        if let blkio = n["blkio_config"] { s.resources.blkio = Self.blkio(blkio) }
        for e in n["ulimits"]?.entries ?? [] {
            s.ulimits[e.key] = Ulimit(soft: int(e.value["soft"]) ?? 0, hard: int(e.value["hard"]) ?? 0)
        }
    }
}
