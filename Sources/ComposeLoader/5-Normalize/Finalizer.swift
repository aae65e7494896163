import BerthModel

/// The last steps of a load, on the merged canonical tree: profiles, the
/// default network, host names of resources, `env_file` contents, validation
/// of references, the typed `Project` and the config hashes.
struct Finalizer {
    let files: SourceFiles
    let options: LoadOptions
    let name: ProjectName
    let projectDirectory: String
    let environment: (String) -> String?

    func finalize(_ model: consuming Node, readFiles: [String]) throws(BerthError) -> LoadedProject {
        var model = model
        var services = model["services"]?.entries ?? []
        let servicesMark = model["services"]?.mark
        // Dropping the tree's reference leaves `services` the only owner of its
        // array and of each service's entries, so that the changes below are
        // made in place instead of copying every service (the loader hands
        // over the only other reference).
        if servicesMark != nil { model["services"] = .null() }
        var errors: [BerthError] = []
        func fail(_ mark: Mark, _ path: String, _ message: String) {
            errors.append(BerthError(.invalidCompose, message, location: files.location(mark), path: path))
        }

        // Profiles: a service named on the command line turns its profiles on.
        var allProfiles = Set<String>()
        var active = Set(options.profiles)
        for s in services {
            let profiles = s.value["profiles"]?.items?.compactMap(\.scalarText) ?? []
            allProfiles.formUnion(profiles)
            if options.services.contains(s.key) { active.formUnion(profiles) }
        }
        let enabled: (Node) -> Bool = { service in
            guard let profiles = service["profiles"]?.items, !profiles.isEmpty else { return true }
            return active.contains("*") || profiles.contains { active.contains($0.scalarText ?? "") }
        }
        let disabled = Dictionary(services.filter { !enabled($0.value) }.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        services.removeAll { disabled[$0.key] != nil }
        for requested in options.services where !services.contains(where: { $0.key == requested }) {
            var message = "no such service: \(requested)"
            // Disabled services count: naming one would have enabled it.
            if let close = Suggest.closest(to: requested, in: services.map(\.key) + disabled.keys.sorted()) { message += "; did you mean \"\(close)\"?" }
            errors.append(BerthError(.invalidCompose, message))
        }

        let declaredNetworks = model["networks"]?.entries ?? []
        let declaredVolumes = model["volumes"]?.entries ?? []
        let declaredSecrets = model["secrets"]?.entries ?? []
        let declaredConfigs = model["configs"]?.entries ?? []
        let serviceNames = Set(services.map(\.key))
        var usesDefaultNetwork = false
        var edges: [DependencyEdge] = []

        for i in services.indices {
            let serviceName = services[i].key
            func base() -> String { "services.\(serviceName)" }
            var service = services[i].value
            // The array's reference dropped, `service` owns its entries alone and
            // adding `networks` or `environment` changes them in place, not a copy.
            services[i].value = .null()
            let mark = services[i].keyMark
            let fields = ServiceFields(service)
            if VolumeNameRule.problem(serviceName) != nil {
                fail(mark, base(), "\"\(serviceName)\" is not a valid service name: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit")
            }
            if fields.image == nil && fields.build == nil && fields.provider == nil {
                fail(mark, base(), "service \"\(serviceName)\" has neither an image nor a build context")
            }
            // Networks: none given means the project's default network.
            let networkMode = fields.networkMode
            var networks = fields.networks
            if let networkMode, networks != nil {
                fail(networkMode.mark, "\(base()).network_mode", "network_mode and networks cannot both be set")
            }
            if networkMode == nil && networks == nil {
                networks = .map([("default", .null())])
                service["networks"] = networks
            }
            for n in networks?.entries ?? [] {
                if n.key == "default" && !declaredNetworks.contains(where: { $0.key == "default" }) {
                    usesDefaultNetwork = true
                } else if !declaredNetworks.contains(where: { $0.key == n.key }) {
                    fail(n.keyMark, "\(base()).networks.\(n.key)", undefined("network", n.key, declaredNetworks.map(\.key)))
                }
            }
            // Dependencies, with where each was declared.
            let dependsOnNode = fields.dependsOn
            var dependsOn = dependsOnNode?.entries ?? []
            // (`removeAll` would copy the shared list even with nothing to remove.)
            if dependsOn.contains(where: { !serviceNames.contains($0.key) }) {
                dependsOn.removeAll { dep in
                    guard !serviceNames.contains(dep.key) else { return false }
                    let required = dep.value["required"]?.scalarText != "false"
                    if !required { return true }
                    if let off = disabled[dep.key] {
                        let profiles = off["profiles"]?.items?.compactMap(\.scalarText).joined(separator: ", ") ?? ""
                        fail(dep.keyMark, "\(base()).depends_on.\(dep.key)", "depends on \"\(dep.key)\", which is disabled: enable its profile (\(profiles)) with --profile")
                    } else {
                        fail(dep.keyMark, "\(base()).depends_on.\(dep.key)", undefined("service", dep.key, Array(serviceNames)))
                    }
                    return true
                }
            }
            if let dependsOnNode, dependsOn.count != dependsOnNode.entries?.count {
                service["depends_on"] = Node(.mapping(dependsOn), mark: dependsOnNode.mark)
            }
            for dep in dependsOn {
                edges.append(DependencyEdge(from: serviceName, to: dep.key, kind: .dependsOn, location: files.location(dep.keyMark)))
            }
            for (j, link) in (fields.links?.items ?? []).enumerated() {
                let target = String((link.scalarText ?? "").split(separator: ":").first ?? "")
                checkServiceRef(target, link.mark, "\(base()).links[\(j)]", serviceNames, disabled, &errors)
                edges.append(DependencyEdge(from: serviceName, to: target, kind: .links, location: files.location(link.mark)))
            }
            // (Called once a key, not looped over an array of tuples: such an
            // array was copied and destroyed through the runtime's generic tuple code.)
            func serviceReference(_ key: String, _ kind: DependencyKind, _ node: Node?) {
                guard let node, let text = node.scalarText, text.hasPrefix("service:") else { return }
                let target = String(text.dropFirst("service:".count))
                checkServiceRef(target, node.mark, "\(base()).\(key)", serviceNames, disabled, &errors)
                edges.append(DependencyEdge(from: serviceName, to: target, kind: kind, location: files.location(node.mark)))
            }
            serviceReference("network_mode", .networkMode, networkMode)
            serviceReference("ipc", .ipc, fields.ipc)
            serviceReference("pid", .pid, fields.pid)
            for (j, from) in (fields.volumesFrom?.items ?? []).enumerated() {
                guard let text = from.scalarText, !text.hasPrefix("container:") else { continue }
                let target = String((text.hasPrefix("service:") ? text.dropFirst(8) : Substring(text)).split(separator: ":").first ?? "")
                checkServiceRef(target, from.mark, "\(base()).volumes_from[\(j)]", serviceNames, disabled, &errors)
                edges.append(DependencyEdge(from: serviceName, to: target, kind: .volumesFrom, location: files.location(from.mark)))
            }
            // Named volumes must be declared.
            for (j, volume) in (fields.volumes?.items ?? []).enumerated() where volume["type"]?.scalarText == "volume" {
                guard let source = volume["source"]?.scalarText else { continue }
                if !declaredVolumes.contains(where: { $0.key == source }) {
                    fail(volume.mark, "\(base()).volumes[\(j)]", undefined("volume", source, declaredVolumes.map(\.key)))
                }
            }
            func declaredReferences(_ key: String, _ declared: [Node.Entry], _ list: Node?) {
                for (j, ref) in (list?.items ?? []).enumerated() {
                    guard let source = ref["source"]?.scalarText else { continue }
                    if !declared.contains(where: { $0.key == source }) {
                        fail(ref.mark, "\(base()).\(key)[\(j)]", undefined(String(key.dropLast()), source, declared.map(\.key)))
                    }
                }
            }
            declaredReferences("secrets", declaredSecrets, fields.secrets)
            declaredReferences("configs", declaredConfigs, fields.configs)
            if let containerName = fields.containerName, replicas(fields) > 1 {
                fail(containerName.mark, "\(base()).container_name", "container_name \"\(containerName.scalarText ?? "")\" cannot be used with more than one replica")
            }
            errors += consistencyErrors(fields, base())
            // env_file contents join the environment; explicit entries win.
            if let envFiles = fields.envFile?.items, !envFiles.isEmpty {
                var fromFiles: [Node.Entry] = []
                for (j, entry) in envFiles.enumerated() {
                    guard let path = entry["path"]?.scalarText else { continue }
                    let required = entry["required"]?.scalarText != "false"
                    guard FileSystem.kind(path) == .file else {
                        if required { fail(entry.mark, "\(base()).env_file[\(j)]", "env file \(path) not found") }
                        continue
                    }
                    do {
                        let pairs = try DotEnv.read(path) { key in
                            fromFiles.last(where: { $0.key == key })?.value.scalarText ?? environment(key)
                        }
                        for (key, value) in pairs {
                            fromFiles.removeAll { $0.key == key }
                            fromFiles.append(.init(key: key, keyMark: entry.mark, value: .string(value, entry.mark)))
                        }
                    } catch {
                        // A syntax error inside the file also names the service that uses it.
                        var error = error
                        if error.code == .invalidCompose { error.path = "\(base()).env_file[\(j)]" }
                        errors.append(error)
                    }
                }
                let explicit = fields.environment?.entries ?? []
                let merged = fromFiles.filter { f in !explicit.contains { $0.key == f.key } } + explicit
                service["environment"] = Node(.mapping(merged), mark: fields.environment?.mark ?? mark)
            }
            services[i].value = service
        }
        // Resources referenced by nothing are still kept, as docker compose keeps them.
        if usesDefaultNetwork {
            var networks = declaredNetworks
            networks.append(.init(key: "default", keyMark: .synthetic, value: .map([])))
            model["networks"] = .init(.mapping(networks))
        }
        model["services"] = Node(.mapping(services), mark: servicesMark ?? .synthetic)
        for section in ["networks", "volumes", "secrets", "configs"] {
            guard let entries = model[section]?.entries else { continue }
            model[section] = Node(.mapping(entries.map { e in
                var e = e
                if e.value["name"] == nil {
                    let external = e.value["external"]?.scalarText == "true"
                    e.value["name"] = .string(external ? e.key : "\(name.rawValue)_\(e.key)")
                }
                return e
            }), mark: model[section]?.mark ?? .synthetic)
        }
        if let error = BerthError.combined(errors) { throw error }

        let graph = try DependencyGraph(services: services.map(\.key), edges: edges)
        return LoadedProject(
            canonical: Self.ordered(model), name: name, projectDirectory: projectDirectory, graph: graph,
            activeProfiles: active.sorted(), allProfiles: allProfiles.sorted(), files: readFiles)
    }

    private func replicas(_ fields: ServiceFields) -> Int {
        if let r = fields.deploy?["replicas"]?.scalarText, let n = Int(r) { return n }
        if let s = fields.scale?.scalarText, let n = Int(s) { return n }
        return 1
    }

    private func undefined(_ kind: String, _ name: String, _ known: [String]) -> String {
        var message = "\(kind) \"\(name)\" is not defined"
        if let close = Suggest.closest(to: name, in: known) { message += "; did you mean \"\(close)\"?" }
        return message
    }

    private func checkServiceRef(
        _ target: String, _ mark: Mark, _ path: @autoclosure () -> String, _ names: Set<String>, _ disabled: [String: Node], _ errors: inout [BerthError]
    ) {
        guard !names.contains(target) else { return }
        let message = disabled[target] != nil
            ? "refers to service \"\(target)\", which is disabled by its profiles"
            : undefined("service", target, Array(names))
        errors.append(BerthError(.invalidCompose, message, location: files.location(mark), path: path()))
    }

    /// The top level in docker compose's order: name, services, networks, volumes, secrets, configs, then extensions.
    static func ordered(_ model: Node) -> Node {
        var entries: [Node.Entry] = []
        for key in ["name", "services", "networks", "volumes", "secrets", "configs", "models"] {
            if let e = model.entry(key), !(key != "name" && key != "services" && (e.value.entries?.isEmpty ?? true)) {
                entries.append(e)
            }
        }
        if model.entry("services") == nil { entries.append(.init(key: "services", keyMark: .synthetic, value: .map([]))) }
        entries += (model.entries ?? []).filter { $0.key.hasPrefix("x-") }.sorted { $0.key < $1.key }
        return Node(.mapping(entries), mark: model.mark, tag: .ordered)
    }
}
