import BerthModel

/// How a service key's value is read into canonical form. `serviceRules`
/// gives each key of the Compose Specification's `service` schema its rule;
/// many keys share one of the common shapes, the rest have a reading of
/// their own (in the file of their attribute family).
enum ServiceRule {
    // Shapes shared by several keys (Canonicalizer+Values.swift).
    case string, bool, bytes, duration, stringList, stringOrList, mapping, listOrMapping
    /// A string, or a null that is kept (`pid: null` clears an inherited value).
    case nullableString
    case int(ClosedRange<Int>)
    case listOrDict(resolveBare: Bool)
    // Keys with a reading of their own.
    case build, cgroup, command, cpus, dependsOn, deploy, envFile, expose, extends, extraHosts, fileReferences
    case gpus, healthcheck, hooks, logging, memswapLimit, networks, ports, pullPolicy, restart, stopSignal
    case ulimits, volumes
    /// `x-` extensions: kept as written.
    case keep

    /// Whether an explicit null means something for keys with this rule
    /// (`command: null` clears the image's); for the others `key:` with
    /// nothing after it is unset.
    var keepsNull: Bool {
        switch self {
        case .command, .nullableString: return true
        default: return false
        }
    }
}

extension Canonicalizer {
    /// Every key a service may have, with its rule: the one list of them.
    static let serviceRules: [String: ServiceRule] = [
        "annotations": .listOrDict(resolveBare: false), "attach": .bool, "blkio_config": .mapping, "build": .build,
        "cap_add": .stringList, "cap_drop": .stringList, "cgroup": .cgroup, "cgroup_parent": .string,
        "command": .command, "configs": .fileReferences, "container_name": .string,
        "cpu_count": .int(.min ... .max), "cpu_percent": .int(0...100), "cpu_period": .int(.min ... .max),
        "cpu_quota": .int(.min ... .max), "cpu_rt_period": .int(.min ... .max), "cpu_rt_runtime": .int(.min ... .max),
        "cpu_shares": .int(.min ... .max), "cpus": .cpus, "cpuset": .string, "credential_spec": .mapping,
        "depends_on": .dependsOn, "deploy": .deploy, "develop": .mapping, "device_cgroup_rules": .stringList,
        "devices": .listOrMapping, "dns": .stringOrList, "dns_opt": .stringList, "dns_search": .stringOrList,
        "domainname": .string, "entrypoint": .command, "env_file": .envFile,
        "environment": .listOrDict(resolveBare: true), "expose": .expose, "extends": .extends,
        "external_links": .stringList, "extra_hosts": .extraHosts, "gpus": .gpus, "group_add": .stringList,
        "healthcheck": .healthcheck, "hostname": .string, "image": .string, "init": .bool, "ipc": .string,
        "isolation": .string, "label_file": .stringOrList, "labels": .listOrDict(resolveBare: false),
        "links": .stringList, "logging": .logging, "mac_address": .string, "mem_limit": .bytes,
        "mem_reservation": .bytes, "mem_swappiness": .int(0...100), "memswap_limit": .memswapLimit,
        "models": .listOrMapping, "network_mode": .string, "networks": .networks, "oom_kill_disable": .bool,
        "oom_score_adj": .int(-1000...1000), "pid": .nullableString, "pids_limit": .int(-1 ... .max),
        "platform": .string, "ports": .ports, "post_start": .hooks, "pre_stop": .hooks, "privileged": .bool,
        "profiles": .stringList, "provider": .mapping, "pull_policy": .pullPolicy, "pull_refresh_after": .string,
        "read_only": .bool, "restart": .restart, "runtime": .string, "scale": .int(Service.replicaRange),
        "secrets": .fileReferences, "security_opt": .stringList, "shm_size": .bytes, "stdin_open": .bool,
        "stop_grace_period": .duration, "stop_signal": .stopSignal, "storage_opt": .mapping,
        "sysctls": .listOrDict(resolveBare: false), "tmpfs": .stringOrList, "tty": .bool, "ulimits": .ulimits,
        "use_api_socket": .bool, "user": .string, "userns_mode": .string, "uts": .string, "volumes": .volumes,
        "volumes_from": .stringList, "working_dir": .string,
    ]

    /// A service in canonical form. `path` is `services.NAME`.
    func service(_ node: Node, _ path: @autoclosure () -> String) -> Node {
        if node.isNull { return Node(.mapping([]), mark: node.mark, tag: node.tag) }
        guard let entries = mapping(node, path()) else { return Node(.mapping([]), mark: node.mark) }
        // Each key's rule, looked up once (in a buffer on the stack): the
        // lookup also finds unknown keys, which are reported before any
        // value's error, and then left out.
        return withUnsafeTemporaryAllocation(of: ServiceRule?.self, capacity: entries.count) { rules in
            var allKnown = true
            for i in entries.indices {
                let rule = Self.serviceRules[entries[i].key] ?? (entries[i].key.hasPrefix("x-") ? .keep : nil)
                if rule == nil { allKnown = false }
                rules.initializeElement(at: i, to: rule)
            }
            if !allKnown { checkKeys(entries, path(), allowed: Self.serviceRules.keys) }
            var out: [Node.Entry] = []
            // One more than there are: the finalizer adds `networks` to most services,
            // and an array grown by one doubles (1.3 MB more on a thousand services).
            out.reserveCapacity(entries.count + 1)
            for i in entries.indices {
                guard let rule = rules[i] else { continue }
                let key = entries[i].key
                let value = entries[i].value
                // `!reset` drops the value whatever it is: keep a marker for the merge.
                if value.tag == .reset {
                    out.append(Node.Entry(key: key, keyMark: entries[i].keyMark, value: value))
                    continue
                }
                // `key:` with nothing after it: compose treats it as unset.
                if value.isNull && !rule.keepsNull { continue }
                guard var canonical = serviceField(rule, value, "\(path()).\(key)") else { continue }
                if value.tag == .override { canonical.tag = .override }
                out.append(Node.Entry(key: key, keyMark: entries[i].keyMark, value: canonical))
            }
            return Node(.mapping(out), mark: node.mark, tag: node.tag)
        }
    }

    /// One service field in canonical form by its rule, or nil after reporting an error.
    func serviceField(_ rule: ServiceRule, _ value: Node, _ path: @autoclosure () -> String) -> Node? {
        switch rule {
        case .string: return stringNode(value, path())
        case .nullableString: return value.isNull ? value : stringNode(value, path())
        case .bool: return bool(value, path()).map { .bool($0, value.mark) }
        case .int(let range): return int(value, path(), in: range).map { .int($0, value.mark) }
        case .bytes: return bytes(value, path())
        case .duration: return duration(value, path())
        case .stringList: return stringList(value, path())
        case .stringOrList: return stringOrList(value, path())
        case .listOrDict(let resolveBare): return listOrDict(value, path(), resolveBare: resolveBare)
        case .mapping: return mapping(value, path()).map { _ in value }
        case .listOrMapping: return listOrMapping(value, path())
        case .build: return build(value, path())
        case .cgroup: return cgroup(value, path())
        case .command: return command(value, path())
        case .cpus: return cpus(value, path())
        case .dependsOn: return dependsOn(value, path())
        case .deploy: return deploy(value, path())
        case .envFile: return envFile(value, path())
        case .expose: return expose(value, path())
        case .extends: return extends(value, path())
        case .extraHosts: return extraHosts(value, path())
        case .fileReferences: return fileReferences(value, path())
        case .gpus: return value.scalarText == "all" ? value : listOrMapping(value, path())
        case .healthcheck: return healthcheck(value, path())
        case .hooks: return hooks(value, path())
        case .logging: return logging(value, path())
        case .memswapLimit: return value.scalarText == "-1" ? .int(-1, value.mark) : bytes(value, path())
        case .networks: return serviceNetworks(value, path())
        case .ports: return ports(value, path())
        case .pullPolicy: return pullPolicy(value, path())
        case .restart: return restart(value, path())
        case .stopSignal: return stopSignal(value, path())
        case .ulimits: return ulimits(value, path())
        case .volumes: return volumes(value, path())
        case .keep: return value
        }
    }
}
