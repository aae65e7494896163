import BerthModel

extension Generation {
    /// docker's healthcheck defaults, in nanoseconds.
    static let defaultInterval: Int64 = 30_000_000_000
    static let defaultTimeout: Int64 = 30_000_000_000
    static let defaultStartInterval: Int64 = 5_000_000_000

    /// `healthcheck` as probes. Readiness takes the pod out of its Services
    /// while unhealthy; liveness restarts it, as Berth restarts an unhealthy
    /// container (none with `x-berth: {restart_on_unhealthy: false}`); a
    /// `start_period` becomes a startup probe that allows its length of
    /// failures, probing every `start_interval`.
    mutating func probes(_ service: Service) -> (readiness: KubeValue?, liveness: KubeValue?, startup: KubeValue?) {
        guard let check = service.healthcheck, !check.isDisabled else { return (nil, nil, nil) }
        guard let test = check.test, let kind = test.first else {
            warn(
                service.name, "healthcheck",
                "no test: the image's HEALTHCHECK is not known here, so no probe is made; write the test out")
            return (nil, nil, nil)
        }
        let command: [String]
        switch kind {
        case "CMD": command = Array(test.dropFirst())
        case "CMD-SHELL": command = ["sh", "-c", test.dropFirst().joined(separator: " ")]
        default:
            warn(service.name, "healthcheck", "test \(kind) is neither CMD nor CMD-SHELL; no probe")
            return (nil, nil, nil)
        }
        let exec = KubeValue.object(["command": .list(command.map(KubeValue.string))])
        let period = Self.seconds(check.interval ?? Self.defaultInterval)
        let timeout = Self.seconds(check.timeout ?? Self.defaultTimeout)
        let retries = max(check.retries ?? 3, 1)
        let probe = KubeValue.object([
            "exec": exec, "failureThreshold": .int(retries), "periodSeconds": .int(max(period, 1)),
            "timeoutSeconds": .int(max(timeout, 1)),
        ])
        var startup: KubeValue?
        if let startPeriod = check.startPeriod, startPeriod > 0 {
            let every = Self.seconds(check.startInterval ?? Self.defaultStartInterval)
            let during = Self.seconds(startPeriod)
            startup = .object([
                "exec": exec, "failureThreshold": .int((during + every - 1) / max(every, 1) + retries),
                "periodSeconds": .int(max(every, 1)), "timeoutSeconds": .int(max(timeout, 1)),
            ])
        } else if check.startInterval != nil {
            warn(service.name, "healthcheck.start_interval", "without start_period it never applies; dropped")
        }
        return (probe, service.restartOnUnhealthy ? probe : nil, startup)
    }

    /// The ServiceAccount that may read Jobs, for pods that wait for one.
    static let jobWaiter = "berth-job-waiter"

    /// True when one of the service's dependencies must complete first.
    func needsWaiter(_ service: Service) -> Bool {
        service.dependsOn.contains { name, dependency in
            dependency.condition == .completedSuccessfully && names[name] != nil
        }
    }

    /// `depends_on` as init containers: each waits until its dependency's
    /// Service answers on its first TCP port (a Service sends only to ready
    /// pods, so `service_healthy` waits for the readiness probe), or, for
    /// `service_completed_successfully`, until its Job completes.
    mutating func addWaits(_ service: Service, into pod: inout PodParts) {
        for name in service.dependsOn.keys.sorted() {
            guard let dependency = service.dependsOn[name], let target = names[name] else { continue }
            if dependency.restart {
                warn(
                    service.name, "depends_on.\(name).restart",
                    "has no Kubernetes form (pods are not restarted with their dependencies); dropped")
            }
            let container = KubeNames.object("wait-for-\(target)") ?? "wait"
            if dependency.condition == .completedSuccessfully {
                needsJobWaiter = true
                let networks = podNetworks(service)
                if !networks.isEmpty, networks.allSatisfy({ project.networks[$0]?.internal == true }) {
                    warn(
                        service.name, "depends_on.\(name)",
                        "its pods are only on internal networks, whose NetworkPolicy keeps them from the API server "
                            + "that kubectl wait asks; allow that egress for them")
                }
                let command: [KubeValue] = [
                    "kubectl", "wait", "--for=condition=complete", "--timeout=-1s", .string("job/\(target)"),
                ]
                pod.initContainers.append(
                    .object([
                        "name": .string(String(container)), "image": .string(options.kubectlImage),
                        "command": .list(command),
                    ]))
                continue
            }
            guard let port = listening(name).first(where: { $0.transport == "TCP" }),
                project.services[name]?.networkMode != .host
            else {
                warn(
                    service.name, "depends_on.\(name)",
                    "\(name) has no TCP port (ports or expose) to wait on; the pod starts without waiting")
                continue
            }
            let script =
                "until nc -z -w 2 \(target) \(port.target); do echo waiting for \(target):\(port.target); sleep 2; done"
            pod.initContainers.append(
                .object([
                    "name": .string(String(container)), "image": .string(options.waitImage),
                    "command": ["sh", "-c", .string(script)],
                ]))
        }
    }

    /// The ServiceAccount, Role and RoleBinding that let `kubectl wait` read Jobs.
    mutating func addJobWaiter() {
        let metadata = KubeValue.object([
            "name": .string(Self.jobWaiter),
            "labels": .sorted(["com.docker.compose.project": KubeNames.labelValue(project.name.rawValue)]),
        ])
        let origin = "the Job waiter"
        add(
            KubeObject(
                kind: "ServiceAccount", name: Self.jobWaiter, origin: origin,
                value: .object(["apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata])))
        let rule = KubeValue.object([
            "apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"],
        ])
        add(
            KubeObject(
                kind: "Role", name: Self.jobWaiter, origin: origin,
                value: .object([
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": metadata, "rules": [rule],
                ])))
        let subject = KubeValue.object([
            "kind": "ServiceAccount", "name": .string(Self.jobWaiter),
            "namespace": options.namespace.map(KubeValue.string),
        ])
        add(
            KubeObject(
                kind: "RoleBinding", name: Self.jobWaiter, origin: origin,
                value: .object([
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata,
                    "roleRef": .object([
                        "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(Self.jobWaiter),
                    ]),
                    "subjects": [subject],
                ])))
    }
}
