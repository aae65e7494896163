import BerthModel

extension Generation {
    /// The service's one container: what runs, its environment, ports, resources, probes and privileges.
    mutating func container(_ service: Service, into pod: inout PodParts) throws(BerthError) -> [KubeField] {
        var fields: [KubeField] = [KubeField("name", .string(names[service.name] ?? "main"))]
        func set(_ key: String, _ value: KubeValue?) {
            if let value { fields.append(KubeField(key, value)) }
        }
        set("image", service.image.map(KubeValue.string))
        set("imagePullPolicy", pullPolicy(service))
        set("command", commandLine(service, "entrypoint", service.entrypoint))
        set("args", commandLine(service, "command", service.command))
        set("workingDir", service.workingDir.map(KubeValue.string))
        let (env, envFrom) = environment(service)
        set("env", env)
        set("envFrom", envFrom)
        let containerPorts = listening(service.name).map { port in
            KubeValue.object(["containerPort": .int(port.target), "protocol": .string(port.transport)])
        }
        set("ports", KubeValue.list(containerPorts).nonEmpty)
        set("resources", resources(service, into: &pod))
        let probes = self.probes(service)
        set("readinessProbe", probes.readiness)
        set("livenessProbe", probes.liveness)
        set("startupProbe", probes.startup)
        set("securityContext", securityContext(service))
        if service.stdinOpen { set("stdin", true) }
        if service.tty { set("tty", true) }
        return fields
    }

    /// Kubernetes expands `$(VAR)` in commands, arguments and env values and
    /// reads `$$` as `$`; a compose value means its `$` literally (the loader
    /// already interpolated), so each `$` before `(` or `$` is doubled.
    static func literal(_ text: String) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        let characters = Array(text)
        for (i, c) in characters.enumerated() {
            out.append(c)
            if c == "$", i + 1 < characters.count, characters[i + 1] == "(" || characters[i + 1] == "$" {
                out.append("$")
            }
        }
        return out
    }

    private mutating func commandLine(_ service: Service, _ attribute: String, _ words: [String]?) -> KubeValue? {
        guard let words else { return nil }
        if words.isEmpty {
            warn(
                service.name, attribute,
                "an empty list (clearing the image's) has no Kubernetes form; the image's is kept")
            return nil
        }
        return .list(words.map { .string(Self.literal($0)) })
    }

    private mutating func pullPolicy(_ service: Service) -> KubeValue? {
        switch service.pullPolicy {
        case nil: return nil
        case "always": return "Always"
        case "never": return "Never"
        case "missing", "if_not_present": return "IfNotPresent"
        case let policy?:
            warn(service.name, "pull_policy", "\(policy) has no Kubernetes form; the cluster's default applies")
            return nil
        }
    }

    /// `environment` and `env_file` (already merged by the loader), sorted by
    /// name; past `environmentLimit` variables they move to a ConfigMap.
    private mutating func environment(_ service: Service) -> (env: KubeValue?, envFrom: KubeValue?) {
        var values: [String: String] = [:]
        for (key, value) in service.environment {
            if let value { values[key] = Self.literal(value) }
        }
        guard !values.isEmpty else { return (nil, nil) }
        if values.count <= options.environmentLimit {
            let env = values.keys.sorted().map { key in
                KubeValue.object(["name": .string(key), "value": .string(values[key] ?? "")])
            }
            return (.list(env), nil)
        }
        let name = KubeNames.object("\(service.name)-env") ?? "env"
        let map = KubeValue.object([
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": .object(["name": .string(name), "labels": .sorted(selector(service.name))]),
            "data": .sorted(values),
        ])
        add(
            KubeObject(
                kind: "ConfigMap", name: name, origin: "the environment of service \"\(service.name)\"", value: map))
        return (nil, .list([.object(["configMapRef": .object(["name": .string(name)])])]))
    }

    /// Limits from `deploy.resources.limits`, `mem_limit` and `cpus`; the memory reservation as a request.
    /// `shm_size` becomes a memory-backed `/dev/shm`.
    private mutating func resources(_ service: Service, into pod: inout PodParts) -> KubeValue? {
        let r = service.resources
        var limits: [String: String] = [:]
        if let memory = r.memoryLimit, memory > 0 { limits["memory"] = Self.quantity(memory) }
        if let cpus = r.cpus, cpus > 0, cpus.isFinite { limits["cpu"] = Self.cpu(cpus) }
        var requests: [String: String] = [:]
        if let memory = r.memoryReservation, memory > 0 { requests["memory"] = Self.quantity(memory) }
        if let cpus = input.cpuReservations[service.name], cpus > 0, cpus.isFinite { requests["cpu"] = Self.cpu(cpus) }
        if r.pidsLimit != nil {
            let attribute =
                (input.attributes[service.name] ?? []).contains("pids_limit")
                ? "pids_limit" : "deploy.resources.limits.pids"
            warn(service.name, attribute, "a pod's process limit is the node's setting; dropped")
        }
        if let shm = r.shmSize, shm > 0 {
            pod.declare(
                "dshm", .object(["emptyDir": .object(["medium": "Memory", "sizeLimit": .string(Self.quantity(shm))])]))
            pod.mounts.append(.object(["mountPath": "/dev/shm", "name": "dshm"]))
        }
        return KubeValue.object([
            "limits": KubeValue.sorted(limits).nonEmpty, "requests": KubeValue.sorted(requests).nonEmpty,
        ])
        .nonEmpty
    }

    /// Bytes as a quantity: `512Mi` when whole, else the number of bytes.
    static func quantity(_ bytes: Int64) -> String {
        for (suffix, shift) in [("Ti", Int64(40)), ("Gi", 30), ("Mi", 20), ("Ki", 10)] where bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(suffix)"
        }
        return String(bytes)
    }

    /// CPUs as a quantity: `2`, or millicores (`500m`).
    static func cpu(_ cpus: Double) -> String {
        // A million CPUs is more than any node has; the bound keeps the conversion to Int from trapping.
        let milli = Int((min(cpus, 1_000_000) * 1000).rounded())
        return milli % 1000 == 0 ? String(milli / 1000) : "\(max(milli, 1))m"
    }

    /// `user`, capabilities, `privileged`, `read_only` and `no-new-privileges`.
    private mutating func securityContext(_ service: Service) -> KubeValue? {
        var fields: [KubeField] = []
        if service.securityOpt.contains(where: { $0 == "no-new-privileges" || $0 == "no-new-privileges:true" }) {
            fields.append(KubeField("allowPrivilegeEscalation", false))
        }
        for option in service.securityOpt where !option.hasPrefix("no-new-privileges") {
            warn(service.name, "security_opt", "\"\(option)\" has no container form here; dropped")
        }
        let capability = { (name: String) -> KubeValue in
            let upper = name.uppercased()
            return .string(upper.hasPrefix("CAP_") ? String(upper.dropFirst(4)) : upper)
        }
        let capabilities = KubeValue.object([
            "add": KubeValue.list(service.capAdd.map(capability)).nonEmpty,
            "drop": KubeValue.list(service.capDrop.map(capability)).nonEmpty,
        ])
        if let capabilities = capabilities.nonEmpty { fields.append(KubeField("capabilities", capabilities)) }
        if service.privileged { fields.append(KubeField("privileged", true)) }
        if service.readOnly { fields.append(KubeField("readOnlyRootFilesystem", true)) }
        if let user = service.user {
            let parts = user.split(separator: ":", maxSplits: 1).map(String.init)
            if let uid = parts.first.flatMap({ Int($0) }) {
                if parts.count == 2, let gid = Int(parts[1]) {
                    fields.append(KubeField("runAsGroup", .int(gid)))
                } else if parts.count == 2 {
                    warn(service.name, "user", "group \"\(parts[1])\" is not numeric; a pod takes group IDs only")
                }
                fields.append(KubeField("runAsUser", .int(uid)))
            } else {
                warn(
                    service.name, "user",
                    "\"\(user)\" is not numeric; a pod takes user IDs only, so the image's user runs")
            }
        }
        return fields.isEmpty ? nil : .map(fields)
    }
}
