import BerthModel

extension Canonicalizer {
    /// Every key a service may have (the Compose Specification's `service` schema).
    static let serviceKeys: Set<String> = [
        "annotations", "attach", "build", "blkio_config", "cap_add", "cap_drop", "cgroup", "cgroup_parent",
        "command", "configs", "container_name", "cpu_count", "cpu_percent", "cpu_shares", "cpu_quota",
        "cpu_period", "cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset", "credential_spec", "depends_on",
        "deploy", "develop", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname",
        "entrypoint", "env_file", "label_file", "environment", "expose", "extends", "provider",
        "external_links", "extra_hosts", "gpus", "group_add", "healthcheck", "hostname", "image", "init",
        "ipc", "isolation", "labels", "links", "logging", "mac_address", "mem_limit", "mem_reservation",
        "mem_swappiness", "memswap_limit", "network_mode", "models", "networks", "oom_kill_disable",
        "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop", "privileged",
        "profiles", "pull_policy", "pull_refresh_after", "read_only", "restart", "runtime", "scale",
        "security_opt", "shm_size", "secrets", "sysctls", "stdin_open", "stop_grace_period", "stop_signal",
        "storage_opt", "tmpfs", "tty", "ulimits", "use_api_socket", "user", "uts", "userns_mode", "volumes",
        "volumes_from", "working_dir",
    ]

    /// A service in canonical form. `path` is `services.NAME`.
    func service(_ node: Node, _ path: @autoclosure () -> String) -> Node {
        if node.isNull { return Node(.mapping([]), mark: node.mark, tag: node.tag) }
        guard let entries = mapping(node, path()) else { return Node(.mapping([]), mark: node.mark) }
        let allKnown = checkKeys(entries, path(), allowed: Self.serviceKeys)
        var out: [Node.Entry] = []
        // One more than there are: the finalizer adds `networks` to most services,
        // and an array grown by one doubles (1.3 MB more on a thousand services).
        out.reserveCapacity(entries.count + 1)
        for entry in entries where allKnown || Self.serviceKeys.contains(entry.key) || entry.key.hasPrefix("x-") {
            let key = entry.key
            func fieldPath() -> String { "\(path()).\(key)" }
            let value = entry.value
            // `!reset` drops the value whatever it is: keep a marker for the merge.
            if value.tag == .reset {
                out.append(Node.Entry(key: entry.key, keyMark: entry.keyMark, value: value))
                continue
            }
            if value.isNull && !Self.nullable.contains(entry.key) {
                // `key:` with nothing after it: compose treats it as unset.
                continue
            }
            guard var canonical = serviceField(entry.key, value, fieldPath()) else { continue }
            if value.tag == .override { canonical.tag = .override }
            out.append(Node.Entry(key: entry.key, keyMark: entry.keyMark, value: canonical))
        }
        return Node(.mapping(out), mark: node.mark, tag: node.tag)
    }

    /// Keys whose explicit null means something (`command: null` clears the image's).
    static let nullable: Set<String> = ["command", "entrypoint", "pid"]

    /// One service field in canonical form, or nil after reporting an error.
    func serviceField(_ key: String, _ value: Node, _ path: @autoclosure () -> String) -> Node? {
        // A switch over strings compares case by case: the keys most files
        // use come first, which matters on a thousand-service file.
        switch key {
        case "image":
            if value.isNull { return value }
            return stringNode(value, path())
        case "environment":
            return listOrDict(value, path(), resolveBare: true)
        case "ports":
            return ports(value, path())
        case "volumes":
            return volumes(value, path())
        case "depends_on":
            return dependsOn(value, path())
        case "healthcheck":
            return healthcheck(value, path())
        case "command", "entrypoint":
            return command(value, path())
        case "networks":
            return serviceNetworks(value, path())
        case "labels", "annotations":
            return listOrDict(value, path(), resolveBare: false)
        case "restart":
            guard let raw = text(value, path()) else { return nil }
            guard RestartText.isValid(raw) else {
                fail(value.mark, path(), "unknown restart policy \"\(raw)\" (no, always, on-failure[:N] or unless-stopped)")
                return nil
            }
            return .string(raw, value.mark)
        case _ where key.hasPrefix("x-"):
            return value
        case "container_name", "hostname", "domainname", "user", "working_dir", "ipc", "pid",
            "platform", "runtime", "cgroup_parent", "isolation", "mac_address", "userns_mode", "uts", "cpuset",
            "pull_refresh_after":
            if value.isNull { return value }
            return stringNode(value, path())
        case "network_mode":
            return stringNode(value, path())
        case "stop_signal":
            guard let raw = text(value, path()) else { return nil }
            guard Signals.number(raw) != nil else {
                fail(value.mark, path(), "\"\(raw)\" is not a signal (write it like SIGTERM, SIGINT or 15)")
                return nil
            }
            return .string(raw, value.mark)
        case "cgroup":
            guard let raw = text(value, path()) else { return nil }
            guard raw == "host" || raw == "private" else {
                fail(value.mark, path(), "must be \"host\" or \"private\", not \"\(raw)\"")
                return nil
            }
            return .string(raw, value.mark)
        case "pull_policy":
            guard let raw = text(value, path()) else { return nil }
            let known = ["always", "never", "missing", "if_not_present", "build", "daily", "weekly"]
            guard known.contains(raw) || raw.hasPrefix("every_") else {
                fail(value.mark, path(), "unknown pull policy \"\(raw)\" (one of \(known.joined(separator: ", ")))")
                return nil
            }
            return .string(raw, value.mark)
        case "init", "privileged", "read_only", "stdin_open", "tty", "oom_kill_disable", "use_api_socket",
            "attach":
            return bool(value, path()).map { .bool($0, value.mark) }
        case "scale":
            return int(value, path(), in: 0...100_000).map { .int($0, value.mark) }
        case "cpu_count", "cpu_percent", "cpu_shares", "cpu_period", "cpu_quota", "cpu_rt_period",
            "cpu_rt_runtime", "oom_score_adj", "mem_swappiness":
            let ranges: [String: ClosedRange<Int>] = [
                "oom_score_adj": -1000...1000, "mem_swappiness": 0...100, "cpu_percent": 0...100,
            ]
            return int(value, path(), in: ranges[key] ?? Int.min...Int.max).map { .int($0, value.mark) }
        case "pids_limit":
            return int(value, path(), in: -1...Int.max).map { .int($0, value.mark) }
        case "cpus":
            guard let n = number(value, path()) else { return nil }
            guard n >= 0 else {
                fail(value.mark, path(), "\(NumberText.format(n)) is out of range: cpus must be 0 or more")
                return nil
            }
            return .plain(NumberText.format(n), value.mark)
        case "mem_limit", "mem_reservation", "memswap_limit", "shm_size":
            if key == "memswap_limit", value.scalarText == "-1" { return .int(-1, value.mark) }
            return bytes(value, path())
        case "stop_grace_period":
            return duration(value, path())
        case "cap_add", "cap_drop", "security_opt", "device_cgroup_rules", "external_links", "group_add",
            "profiles", "links", "volumes_from", "dns_opt", "post_start", "pre_stop":
            if key == "post_start" || key == "pre_stop" { return hooks(value, path()) }
            return stringList(value, path())
        case "dns", "dns_search", "tmpfs":
            return stringOrList(value, path())
        case "expose":
            return expose(value, path())
        case "sysctls":
            return listOrDict(value, path(), resolveBare: false)
        case "extra_hosts":
            return extraHosts(value, path())
        case "env_file":
            return envFile(value, path())
        case "label_file":
            return stringOrList(value, path())
        case "ulimits":
            return ulimits(value, path())
        case "deploy":
            return deploy(value, path())
        case "build":
            return build(value, path())
        case "extends":
            return extends(value, path())
        case "secrets", "configs":
            return fileReferences(value, path())
        case "logging":
            guard let entries = mapping(value, path()) else { return nil }
            checkKeys(entries, path(), allowed: ["driver", "options"])
            var out: [Node.Entry] = []
            for e in entries {
                if e.key == "driver", let s = stringNode(e.value, "\(path()).driver") { out.append(.init(key: e.key, keyMark: e.keyMark, value: s)) }
                if e.key == "options", let m = listOrDict(e.value, "\(path()).options", resolveBare: false) { out.append(.init(key: e.key, keyMark: e.keyMark, value: m)) }
            }
            return Node(.mapping(out), mark: value.mark, tag: value.tag)
        case "storage_opt", "blkio_config", "credential_spec", "develop", "provider":
            return mapping(value, path()).map { _ in value }
        case "devices", "gpus", "models":
            if value.items == nil && value.entries == nil && !(key == "gpus" && value.scalarText == "all") {
                wrongType(value, path(), expected: "a list or a mapping")
                return nil
            }
            return value
        default:
            return value
        }
    }

    /// `command`/`entrypoint`: a string is split like a shell does; a list is kept.
    func command(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        switch value.value {
        case .scalar(let text, let style):
            if style == .plain && ScalarType.isNull(text) { return .null(value.mark) }
            guard let words = ShellWords.split(text) else {
                fail(value.mark, path(), "unterminated quote in \(Emitter.doubleQuoted(text))")
                return nil
            }
            return Node(.sequence(words.map { .string($0, value.mark) }), mark: value.mark, tag: value.tag)
        case .sequence:
            return stringList(value, path())
        case .mapping:
            wrongType(value, path(), expected: "a string or a list of strings")
            return nil
        }
    }

    /// `post_start`/`pre_stop` hooks: a list of `{command, user, privileged, working_dir, environment}`.
    func hooks(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list of hooks")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            func itemPath() -> String { "\(path())[\(i)]" }
            guard let entries = mapping(item, itemPath()) else { continue }
            checkKeys(entries, itemPath(), allowed: ["command", "user", "privileged", "working_dir", "environment"])
            var hook: [Node.Entry] = []
            for e in entries {
                let key = e.key
                func p() -> String { "\(itemPath()).\(key)" }
                let v: Node?
                switch e.key {
                case "command": v = command(e.value, p())
                case "user", "working_dir": v = stringNode(e.value, p())
                case "privileged": v = bool(e.value, p()).map { .bool($0, e.value.mark) }
                case "environment": v = listOrDict(e.value, p(), resolveBare: true)
                default: v = nil
                }
                if let v { hook.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
            }
            out.append(Node(.mapping(hook), mark: item.mark))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// `expose`: ports or ranges, with an optional protocol, as strings.
    func expose(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list of ports")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            guard let raw = text(item, "\(path())[\(i)]", expected: "a port") else { continue }
            var portPart = Substring(raw)
            if let slash = raw.firstIndex(of: "/") {
                portPart = raw[..<slash]
                let proto = raw[raw.index(after: slash)...]
                guard ["tcp", "udp", "sctp"].contains(proto) else {
                    fail(item.mark, "\(path())[\(i)]", "unknown protocol \"\(proto)\" (tcp, udp or sctp)")
                    continue
                }
            }
            guard PortText.range(portPart, allowZero: false) != nil else {
                fail(item.mark, "\(path())[\(i)]", "\"\(raw)\" is not a port or a port range (1-65535)")
                continue
            }
            out.append(.string(raw, item.mark))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// `extra_hosts` as a list of `host=ip` (also taking `host:ip` and a mapping).
    /// As compose-go: `host=ip1,ip2` gives one entry per address, and brackets
    /// around an IPv6 address (`[::1]`) are dropped, in either form.
    func extraHosts(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        var out: [Node] = []
        func add(_ host: Substring, _ ips: Substring, _ mark: Mark, _ itemPath: @autoclosure () -> String) {
            guard !host.contains(":") && !host.contains("=") else {
                fail(mark, itemPath(), "\"\(host)\" is not a host name")
                return
            }
            for part in ips.split(separator: ",") {
                var ip = String(part).trimmingSpaces
                if ip.count > 2 && ip.hasPrefix("[") && ip.hasSuffix("]") { ip = String(ip.dropFirst().dropLast()) }
                out.append(.string("\(host)=\(ip)", mark))
            }
        }
        switch value.value {
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let raw = text(item, "\(path())[\(i)]") else { continue }
                // `host=ip` first; `host:ip` splits at the first colon so IPv6 addresses survive.
                let sep = raw.firstIndex(of: "=") ?? raw.firstIndex(of: ":")
                guard let sep, sep != raw.startIndex, raw.index(after: sep) != raw.endIndex else {
                    fail(item.mark, "\(path())[\(i)]", "\"\(raw)\" must be HOST=IP or HOST:IP")
                    continue
                }
                add(raw[..<sep], raw[raw.index(after: sep)...], item.mark, "\(path())[\(i)]")
            }
        case .mapping(let entries):
            for entry in entries {
                let key = entry.key
                func entryPath() -> String { "\(path()).\(key)" }
                switch entry.value.value {
                case .sequence(let ips):
                    for ip in ips {
                        if let s = text(ip, entryPath()) { add(Substring(entry.key), Substring(s), ip.mark, entryPath()) }
                    }
                default:
                    if let s = text(entry.value, entryPath()) { add(Substring(entry.key), Substring(s), entry.value.mark, entryPath()) }
                }
            }
        default:
            wrongType(value, path(), expected: "a list of HOST=IP or a mapping")
            return nil
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// `env_file` as a list of `{path, required, format}` with absolute paths.
    func envFile(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        let items: [Node]
        if case .scalar = value.value { items = [value] } else if let list = value.items { items = list } else {
            wrongType(value, path(), expected: "a path or a list of paths")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            func itemPath() -> String { "\(path())[\(i)]" }
            var filePath: String?
            var required = true
            var format: String?
            if item.entries != nil {
                guard let entries = mapping(item, itemPath()) else { continue }
                checkKeys(entries, itemPath(), allowed: ["path", "required", "format"])
                for e in entries {
                    switch e.key {
                    case "path": filePath = text(e.value, "\(itemPath()).path")
                    case "required": required = bool(e.value, "\(itemPath()).required") ?? true
                    case "format": format = text(e.value, "\(itemPath()).format")
                    default: break
                    }
                }
                if filePath == nil, item.entry("path") == nil { fail(item.mark, itemPath(), "an env_file entry needs a \"path\"") }
            } else {
                filePath = text(item, itemPath(), expected: "a path")
            }
            guard let filePath else { continue }
            var pairs: [(String, Node)] = [("path", .string(hostPath(filePath), item.mark)), ("required", .bool(required))]
            if let format { pairs.append(("format", .string(format))) }
            out.append(Node(.mapping(pairs.map { .init(key: $0.0, keyMark: item.mark, value: $0.1) }), mark: item.mark, tag: .ordered))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// `depends_on` as `{service: {condition, required, restart}}`.
    func dependsOn(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        var out: [Node.Entry] = []
        out.reserveCapacity(value.items?.count ?? value.entries?.count ?? 0)
        func add(_ name: String, _ mark: Mark, condition: String, required: Bool, restart: Bool?) {
            var fields: [Node.Entry] = []
            fields.reserveCapacity(3)
            fields.append(.init(key: "condition", keyMark: mark, value: .string(condition, mark)))
            fields.append(.init(key: "required", keyMark: mark, value: .bool(required, mark)))
            if let restart { fields.append(.init(key: "restart", keyMark: mark, value: .bool(restart, mark))) }
            out.append(.init(key: name, keyMark: mark, value: Node(.mapping(fields), mark: mark, tag: .ordered)))
        }
        switch value.value {
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let name = text(item, "\(path())[\(i)]", expected: "a service name") else { continue }
                if out.contains(where: { $0.key == name }) {
                    fail(item.mark, "\(path())[\(i)]", "service \"\(name)\" is listed twice")
                    continue
                }
                add(name, item.mark, condition: "service_started", required: true, restart: nil)
            }
        case .mapping(let entries):
            for entry in entries {
                let key = entry.key
                func p() -> String { "\(path()).\(key)" }
                var condition = "service_started"
                var required = true
                var restart: Bool?
                if !entry.value.isNull {
                    guard let fields = mapping(entry.value, p()) else { continue }
                    checkKeys(fields, p(), allowed: ["condition", "required", "restart"])
                    for f in fields {
                        switch f.key {
                        case "condition":
                            guard let c = text(f.value, "\(p()).condition") else { continue }
                            let known = ["service_started", "service_healthy", "service_completed_successfully"]
                            if known.contains(c) { condition = c } else {
                                fail(f.value.mark, "\(p()).condition", "unknown condition \"\(c)\" (\(known.joined(separator: ", ")))")
                            }
                        case "required": required = bool(f.value, "\(p()).required") ?? true
                        case "restart": restart = bool(f.value, "\(p()).restart")
                        default: break
                        }
                    }
                }
                add(entry.key, entry.keyMark, condition: condition, required: required, restart: restart)
            }
        default:
            wrongType(value, path(), expected: "a list of services or a mapping")
            return nil
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `healthcheck` with `test` as a list, durations in Go's form.
    ///
    /// A string test is `CMD-SHELL` and the string, except the string `NONE`, which
    /// disables the check like `[NONE]` (docker compose would run `sh -c NONE`, fail,
    /// and, with Berth's restarts on unhealthy, restart the container forever).
    func healthcheck(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"])
        var out: [Node.Entry] = []
        out.reserveCapacity(entries.count)
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "test":
                switch e.value.value {
                case .scalar(let text, _) where !e.value.isNull:
                    v = text == "NONE"
                        ? .seq([.string("NONE", e.value.mark)], e.value.mark)
                        : .seq([.string("CMD-SHELL", e.value.mark), .string(text, e.value.mark)], e.value.mark)
                case .sequence(let items):
                    let first = items.first?.scalarText
                    if let first, !["CMD", "CMD-SHELL", "NONE"].contains(first) {
                        fail(items[0].mark, "\(p())[0]", "a healthcheck test list must begin with CMD, CMD-SHELL or NONE, not \"\(first)\"")
                    } else if items.isEmpty {
                        fail(e.value.mark, p(), "a healthcheck test list must not be empty")
                    } else if first == "CMD" || first == "CMD-SHELL", items.count < 2 {
                        fail(e.value.mark, p(), "\(first ?? "") needs a command after it")
                    } else {
                        v = stringList(e.value, p())
                    }
                default:
                    wrongType(e.value, p(), expected: "a string or a list")
                }
            case "interval", "timeout", "start_period", "start_interval":
                v = duration(e.value, p())
            case "retries":
                v = int(e.value, p(), in: 0...Int(Int32.max)).map { .int($0, e.value.mark) }
            case "disable":
                v = bool(e.value, p()).map { .bool($0, e.value.mark) }
            default:
                break
            }
            if var v {
                if e.value.tag == .reset || e.value.tag == .override { v.tag = e.value.tag }
                out.append(.init(key: e.key, keyMark: e.keyMark, value: v))
            }
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `ulimits`: each as `{soft, hard}` (a single number sets both).
    func ulimits(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        var out: [Node.Entry] = []
        for e in entries {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var soft: Int?, hard: Int?
            if e.value.entries != nil {
                let fields = e.value.entries ?? []
                checkKeys(fields, p(), allowed: ["soft", "hard"])
                soft = e.value["soft"].flatMap { int($0, "\(p()).soft", in: -1...Int.max) }
                hard = e.value["hard"].flatMap { int($0, "\(p()).hard", in: -1...Int.max) }
                if soft == nil || hard == nil {
                    if e.value["soft"] == nil || e.value["hard"] == nil { fail(e.value.mark, p(), "needs both soft and hard") }
                    continue
                }
                if let s = soft, let h = hard, h != -1, s > h || s == -1 {
                    fail(e.value.mark, p(), "soft limit \(s) is above the hard limit \(h)")
                    continue
                }
            } else {
                guard let single = int(e.value, p(), in: -1...Int.max) else { continue }
                soft = single
                hard = single
            }
            out.append(.init(key: e.key, keyMark: e.keyMark, value: Node(.mapping([
                .init(key: "soft", keyMark: e.keyMark, value: .int(soft ?? 0, e.value.mark)),
                .init(key: "hard", keyMark: e.keyMark, value: .int(hard ?? 0, e.value.mark)),
            ]), mark: e.value.mark, tag: .ordered)))
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `extends` as `{service, file}` (a string names a service in the same file).
    func extends(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        if case .scalar = value.value {
            return stringNode(value, path()).map { .map([("service", $0)], value.mark) }
        }
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["service", "file"])
        guard let service = value["service"] else {
            fail(value.mark, path(), "extends needs a \"service\"")
            return nil
        }
        var pairs: [(String, Node)] = []
        if let s = stringNode(service, "\(path()).service") { pairs.append(("service", s)) } else { return nil }
        if let file = value["file"], let f = text(file, "\(path()).file") {
            pairs.append(("file", .string(hostPath(f), file.mark)))
        }
        return .map(pairs, value.mark)
    }

    /// Service `secrets`/`configs`: long form `{source, target, uid, gid, mode}`.
    func fileReferences(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list")
            return nil
        }
        var out: [Node] = []
        for (i, item) in items.enumerated() {
            func p() -> String { "\(path())[\(i)]" }
            if case .scalar = item.value {
                if let s = stringNode(item, p()) { out.append(.map([("source", s)], item.mark)) }
                continue
            }
            guard let entries = mapping(item, p()) else { continue }
            checkKeys(entries, p(), allowed: ["source", "target", "uid", "gid", "mode"])
            guard item["source"] != nil else {
                fail(item.mark, p(), "needs a \"source\"")
                continue
            }
            var fields: [Node.Entry] = []
            for e in entries where !e.key.hasPrefix("x-") {
                let key = e.key
                func fp() -> String { "\(p()).\(key)" }
                switch e.key {
                case "mode":
                    // Modes are octal (`0440`); YAML may have read `0440` as 440 decimal text.
                    guard let raw = text(e.value, fp()), let mode = FileModeText.parse(raw) else {
                        fail(e.value.mark, fp(), "must be an octal file mode like 0440")
                        continue
                    }
                    fields.append(.init(key: e.key, keyMark: e.keyMark, value: .string(FileModeText.format(mode), e.value.mark)))
                case "source", "target", "uid", "gid":
                    if let s = stringNode(e.value, fp()) { fields.append(.init(key: e.key, keyMark: e.keyMark, value: s)) }
                default:
                    break  // unknown: already reported
                }
            }
            out.append(Node(.mapping(fields), mark: item.mark))
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }
}
