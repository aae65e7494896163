import BerthModel

/// `deploy` with its `resources`, and the per-process `ulimits`.
extension Canonicalizer {
    /// `deploy`: replicas, resources (bytes and cpus canonical), restart_policy.
    func deploy(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(
            entries, path(),
            allowed: [
                "mode", "endpoint_mode", "replicas", "labels", "rollback_config", "update_config", "resources",
                "restart_policy", "placement",
            ])
        var out: [Node.Entry] = []
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "replicas": v = int(e.value, p(), in: Service.replicaRange).map { .int($0, e.value.mark) }
            case "labels": v = listOrDict(e.value, p(), resolveBare: false)
            case "mode", "endpoint_mode": v = stringNode(e.value, p())
            case "resources": v = resources(e.value, p())
            case "restart_policy":
                guard let fields = mapping(e.value, p()) else { continue }
                checkKeys(fields, p(), allowed: ["condition", "delay", "max_attempts", "window"])
                var policy: [Node.Entry] = []
                for f in fields where !f.key.hasPrefix("x-") {
                    let fKey = f.key
                    func fp() -> String { "\(p()).\(fKey)" }
                    var fv: Node?
                    switch f.key {
                    case "condition":
                        if let c = text(f.value, fp()) {
                            if ["none", "on-failure", "any"].contains(c) {
                                fv = .string(c, f.value.mark)
                            } else {
                                fail(f.value.mark, fp(), "unknown condition \"\(c)\" (none, on-failure or any)")
                            }
                        }
                    case "delay", "window": fv = duration(f.value, fp())
                    case "max_attempts": fv = int(f.value, fp(), in: 0...Int.max).map { .int($0, f.value.mark) }
                    default: break
                    }
                    if let fv { policy.append(.init(key: f.key, keyMark: f.keyMark, value: fv)) }
                }
                v = Node(.mapping(policy), mark: e.value.mark)
            case "rollback_config", "update_config", "placement":
                v = mapping(e.value, p()).map { _ in e.value }
            default:
                v = nil  // unknown: already reported
            }
            if let v { out.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `deploy.resources.{limits,reservations}` with sizes in bytes.
    func resources(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["limits", "reservations"])
        var out: [Node.Entry] = []
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            guard let fields = mapping(e.value, p()) else { continue }
            let allowed: Set<String> =
                e.key == "limits" ? ["cpus", "memory", "pids"] : ["cpus", "memory", "generic_resources", "devices"]
            checkKeys(fields, p(), allowed: allowed)
            var res: [Node.Entry] = []
            for f in fields where !f.key.hasPrefix("x-") {
                let fKey = f.key
                func fp() -> String { "\(p()).\(fKey)" }
                var fv: Node?
                switch f.key {
                case "cpus":
                    if let n = number(f.value, fp()) {
                        if n < 0 {
                            fail(f.value.mark, fp(), "\(NumberText.format(n)) is out of range: cpus must be 0 or more")
                        } else {
                            fv = .plain(NumberText.format(n), f.value.mark)
                        }
                    }
                case "memory": fv = bytes(f.value, fp())
                case "pids": fv = int(f.value, fp(), in: -1...Int.max).map { .int($0, f.value.mark) }
                default: fv = f.value
                }
                if let fv { res.append(.init(key: f.key, keyMark: f.keyMark, value: fv)) }
            }
            out.append(.init(key: e.key, keyMark: e.keyMark, value: Node(.mapping(res), mark: e.value.mark)))
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
                    if e.value["soft"] == nil || e.value["hard"] == nil {
                        fail(e.value.mark, p(), "needs both soft and hard")
                    }
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
            out.append(
                .init(
                    key: e.key, keyMark: e.keyMark,
                    value: Node(
                        .mapping([
                            .init(key: "soft", keyMark: e.keyMark, value: .int(soft ?? 0, e.value.mark)),
                            .init(key: "hard", keyMark: e.keyMark, value: .int(hard ?? 0, e.value.mark)),
                        ]), mark: e.value.mark, tag: .ordered)))
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// `cpus`: a number of CPUs, 0 or more, printed the shortest way.
    func cpus(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let n = number(value, path()) else { return nil }
        guard n >= 0 else {
            fail(value.mark, path(), "\(NumberText.format(n)) is out of range: cpus must be 0 or more")
            return nil
        }
        return .plain(NumberText.format(n), value.mark)
    }
}
