import BerthModel

extension Generation {
    /// Job for one-shot services, StatefulSet when asked for, else Deployment.
    ///
    /// One-shot: `restart: "no"` or `on-failure` written in the file (the
    /// default `no` is left to a Deployment: a compose file that says nothing
    /// runs a server more often than a task), or another service waits for
    /// it with `service_completed_successfully`. `x-berth: {kube: {kind: …}}`
    /// decides over all of it.
    func kind(of name: String) throws(BerthError) -> WorkloadKind {
        guard let service = project.services[name] else { return .deployment }
        if let asked = input.serviceSettings[name]?["kind"] {
            guard let kind = WorkloadKind.allCases.first(where: { $0.rawValue.lowercased() == asked.lowercased() })
            else {
                throw BerthError(
                    .invalidArgument,
                    "service \"\(name)\": x-berth.kube.kind \"\(asked)\" is not Deployment, StatefulSet or Job")
            }
            return kind
        }
        let awaited = selected.contains { other in
            project.services[other]?.dependsOn[name]?.condition == .completedSuccessfully
        }
        if awaited { return .job }
        let attributes = input.attributes[name] ?? []
        if attributes.contains("restart") || attributes.contains("deploy.restart_policy") {
            switch service.restart {
            case .no, .onFailure: return .job
            case .always, .unlessStopped: break
            }
        }
        let named = service.volumes.contains { $0.type == .volume && $0.source != nil }
        if options.stateful && named && service.replicas == 1 { return .statefulSet }
        return .deployment
    }

    /// The service's labels as Kubernetes takes them: valid ones as labels,
    /// those whose value is not a label value as annotations, the rest a WARN.
    mutating func userLabels(_ service: Service) -> (labels: [String: String], annotations: [String: String]) {
        var labels = selector(service.name)
        var annotations: [String: String] = [:]
        for (written, value) in service.labels.sorted(by: { $0.key < $1.key }) {
            guard let key = KubeNames.labelKey(written), labels[key] == nil, annotations[key] == nil else {
                warn(service.name, "labels", "\"\(written)\" has no Kubernetes label key of its own; dropped")
                continue
            }
            if key != written {
                warn(service.name, "labels", "\"\(written)\" is not a Kubernetes label key; it is written \"\(key)\"")
            }
            if KubeNames.isLabelValue(value) { labels[key] = value } else { annotations[key] = value }
        }
        return (labels, annotations)
    }

    /// The Deployment, StatefulSet or Job, with its pod template.
    mutating func addWorkload(_ service: Service) throws(BerthError) {
        guard let name = names[service.name], let kind = kinds[service.name] else { return }
        if kind == .job, input.serviceSettings[service.name]?["kind"] == nil, !listening(service.name).isEmpty {
            warn(
                service.name, "restart",
                "\(service.restart) makes it a Job, which is not restarted once it succeeds; it listens on ports, "
                    + "so if it is a server, x-berth: {kube: {kind: Deployment}} keeps it running")
        }
        let (labels, annotations) = userLabels(service)
        var pod = PodParts()
        try buildPod(service, kind: kind, into: &pod)
        var podLabels = labels
        for network in podNetworks(service) { podLabels[networkLabel(network)] = "true" }
        let template = KubeValue.object([
            "metadata": .object([
                "labels": .sorted(podLabels), "annotations": KubeValue.sorted(annotations).nonEmpty,
            ]),
            "spec": pod.spec(restartPolicy: restartPolicy(service, kind)),
        ])
        let metadata = KubeValue.object([
            "name": .string(name), "labels": .sorted(labels), "annotations": KubeValue.sorted(annotations).nonEmpty,
        ])
        let selectorValue = KubeValue.object(["matchLabels": .sorted(selector(service.name))])
        let spec: KubeValue
        switch kind {
        case .deployment:
            spec = .object([
                "replicas": .int(service.replicas), "selector": selectorValue,
                // A claim mounted read-write by one node at a time cannot roll: the new pod would wait for the old.
                "strategy": pod.claims ? .object(["type": "Recreate"]) : nil, "template": template,
            ])
        case .statefulSet:
            spec = .object([
                "replicas": .int(service.replicas), "selector": selectorValue, "serviceName": .string(name),
                "template": template, "volumeClaimTemplates": KubeValue.list(pod.claimTemplates).nonEmpty,
            ])
        case .job:
            spec = .object([
                "backoffLimit": backoffLimit(service).map(KubeValue.int),
                "completions": service.replicas == 1 ? nil : .int(service.replicas),
                "parallelism": service.replicas == 1 ? nil : .int(service.replicas), "template": template,
            ])
        }
        let value = KubeValue.object([
            "apiVersion": kind == .job ? "batch/v1" : "apps/v1", "kind": .string(kind.rawValue),
            "metadata": metadata, "spec": spec,
        ])
        add(KubeObject(kind: kind.rawValue, name: name, origin: "service \"\(service.name)\"", value: value))
    }

    /// A Job's pods restart on failure or never; a Deployment's and StatefulSet's always.
    mutating func restartPolicy(_ service: Service, _ kind: WorkloadKind) -> String? {
        let written =
            (input.attributes[service.name] ?? []).contains("restart")
            || (input.attributes[service.name] ?? []).contains("deploy.restart_policy")
        switch (kind, service.restart) {
        case (.job, .onFailure): return "OnFailure"
        case (.job, .no): return "Never"
        case (.job, let policy):
            warn(service.name, "restart", "\(policy) has no Job form: the Job's pod is restarted when it fails")
            return "OnFailure"
        case (_, .no) where written, (_, .onFailure):
            warn(
                service.name, "restart",
                "\(service.restart) has no \(kind.rawValue) form: its pods are always restarted "
                    + "(x-berth: {kube: {kind: Job}} runs it to completion)")
            return nil
        default: return nil
        }
    }

    /// `on-failure:N` retries N times; `no` none. Plain `on-failure` retries forever in compose.
    private mutating func backoffLimit(_ service: Service) -> Int? {
        switch service.restart {
        case .onFailure(let max?): return max
        case .onFailure(nil):
            warn(
                service.name, "restart",
                "on-failure retries forever; a Job retries 6 times (backoffLimit's default) and then fails")
            return nil
        case .no: return 0
        default: return nil
        }
    }
}
