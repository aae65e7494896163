import BerthModel

/// Turns a loaded compose project into Kubernetes objects (issue 17): a
/// workload per service, Services for its ports and aliases, Secrets,
/// ConfigMaps, PersistentVolumeClaims and NetworkPolicies. Pure: it reads
/// the model (and, through `KubeInput.readFile`, secret and config files)
/// and returns objects and WARN lines; the caller prints them.
public enum KubeGenerator {
    /// The objects for `services` (all when empty) and everything they depend on.
    public static func generate(
        _ input: KubeInput, options: KubeOptions = KubeOptions(), services: [String] = []
    ) throws(BerthError) -> KubeOutput {
        let project = input.project
        for name in services where project.services[name] == nil {
            throw BerthError(.notFound, "no such service: \(name)")
        }
        let selected = services.isEmpty ? project.serviceNames : project.graph.selecting(services, noDeps: false)
        var generation = try Generation(input: input, options: options, selected: selected)
        try generation.run()
        return try generation.finish()
    }
}

/// The kind of workload a service becomes.
enum WorkloadKind: String, CaseIterable {
    case deployment = "Deployment"
    case statefulSet = "StatefulSet"
    case job = "Job"
}

/// One conversion in progress: the decisions made up front (names, kinds,
/// ports), then the objects and warnings as each rule adds them.
struct Generation {
    let input: KubeInput
    let options: KubeOptions
    let project: Project
    /// The services converted, sorted.
    let selected: [String]
    /// Each selected service's object name.
    var names: [String: String] = [:]
    var kinds: [String: WorkloadKind] = [:]
    var ports: [String: [ServicePort]] = [:]
    var objects: [KubeObject] = []
    var warnings: [String] = []
    /// Objects made once however many services use them (PVCs, Secrets, ConfigMaps): their origin by kind and name.
    var made: [String: String] = [:]
    /// Set when a pod waits for a Job: the ServiceAccount and its Role are added.
    var needsJobWaiter = false

    init(input: KubeInput, options: KubeOptions, selected: [String]) throws(BerthError) {
        self.input = input
        self.options = options
        self.project = input.project
        self.selected = selected
        var errors: [BerthError] = []
        if let namespace = options.namespace, KubeNames.object(namespace) != namespace {
            errors.append(
                BerthError(
                    .invalidArgument,
                    "--namespace \(namespace): not a Kubernetes namespace name (lower-case letters, digits and -, "
                        + "a letter first, 63 at most)"))
        }
        for name in selected {
            guard let service = project.services[name] else { continue }
            if service.image == nil {
                errors.append(Self.missingImage(service, project: project))
            }
            guard let converted = KubeNames.object(name) else {
                errors.append(
                    BerthError(.invalidName, "service \"\(name)\" has no Kubernetes name: nothing is left of it"))
                continue
            }
            names[name] = converted
            ports[name] = Self.servicePorts(service)
        }
        errors += Self.collisions(names)
        if let error = BerthError.combined(errors) { throw error }
        for name in selected { kinds[name] = try kind(of: name) }
        inferPorts()
    }

    /// The error for a service that is only built: the cluster must pull it from somewhere.
    static func missingImage(_ service: Service, project: Project) -> BerthError {
        let suggested = "\(project.name.rawValue)-\(service.name)"
        return BerthError(
            .invalidSpec,
            "service \"\(service.name)\" has no image: a cluster pulls every container's image from a registry, "
                + "and this service is only built (build: without image:). Add `image: REGISTRY/\(suggested):TAG` "
                + "to it, then `berth build \(service.name)` and `berth push \(service.name)` before applying.")
    }

    /// One error per Kubernetes name that several services convert to.
    static func collisions(_ names: [String: String]) -> [BerthError] {
        var byName: [String: [String]] = [:]
        for (service, name) in names { byName[name, default: []].append(service) }
        return byName.keys.sorted().compactMap { name in
            guard let services = byName[name], services.count > 1 else { return nil }
            let list = services.sorted().map { "\"\($0)\"" }.joined(separator: " and ")
            return BerthError(
                .invalidName,
                "services \(list) \(services.count == 2 ? "both" : "all") become the Kubernetes name \"\(name)\" (lower-cased, other characters "
                    + "turned into -, as the README's \"berth kube generate\" section says); rename one of them")
        }
    }

    /// A WARN line about one attribute of one service.
    mutating func warn(_ service: String, _ attribute: String, _ text: String) {
        warnings.append("service \(service): attribute \(attribute): \(text)")
    }

    /// Every rule, service by service, then the project's shared objects.
    mutating func run() throws(BerthError) {
        for name in selected {
            guard let service = project.services[name] else { continue }
            warnUnmapped(service)
            try addWorkload(service)
            addServices(service)
        }
        addNetworkPolicies()
        if needsJobWaiter { addJobWaiter() }
    }

    /// Adds an object; a shared one (several services use it) once per origin, so that two
    /// origins converted to one name still meet in `finish`'s check.
    mutating func add(_ object: KubeObject, shared: Bool = false) {
        if shared {
            let key = "\(object.kind)/\(object.name)"
            if made[key] == object.origin { return }
            made[key] = object.origin
        }
        var value = object.value
        if let namespace = options.namespace, Self.namespaced.contains(object.kind) {
            value = Self.settingNamespace(value, namespace)
        }
        objects.append(KubeObject(kind: object.kind, name: object.name, origin: object.origin, value: value))
    }

    /// The order objects print in: what others refer to first, so `kubectl apply -f` of one stream creates them first.
    static let kindOrder = [
        "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "Secret", "ConfigMap", "PersistentVolumeClaim",
        "Service", "Deployment", "StatefulSet", "Job",
    ]

    /// Every kind made here lives in a namespace.
    static let namespaced = Set(kindOrder)

    private static func settingNamespace(_ value: KubeValue, _ namespace: String) -> KubeValue {
        guard case .map(var fields) = value, let at = fields.firstIndex(where: { $0.key == "metadata" }),
            case .map(var metadata) = fields[at].value
        else { return value }
        metadata.insert(KubeField("namespace", .string(namespace)), at: min(1, metadata.count))
        fields[at].value = .map(metadata)
        return .map(fields)
    }

    /// Sorted by kind (in `kindOrder`), then name; two objects of one kind and name are an error.
    func finish() throws(BerthError) -> KubeOutput {
        var seen: [String: KubeObject] = [:]
        var errors: [BerthError] = []
        var reported: Set<String> = []
        for object in objects {
            let key = "\(object.kind)/\(object.name)"
            if let earlier = seen[key], reported.insert("\(earlier.origin)|\(object.origin)").inserted {
                errors.append(
                    BerthError(
                        .invalidName,
                        "\(earlier.origin) and \(object.origin) both become \(object.kind) \"\(object.name)\" "
                            + "(names are converted as the README's \"berth kube generate\" section says); "
                            + "rename one of them"))
            } else if seen[key] == nil {
                seen[key] = object
            }
        }
        if let error = BerthError.combined(errors) { throw error }
        let rank = Dictionary(uniqueKeysWithValues: Self.kindOrder.enumerated().map { ($1, $0) })
        let sorted = objects.sorted { a, b in
            let (ra, rb) = (rank[a.kind] ?? 99, rank[b.kind] ?? 99)
            return ra != rb ? ra < rb : a.name < b.name
        }
        return KubeOutput(objects: sorted, warnings: warnings)
    }
}
