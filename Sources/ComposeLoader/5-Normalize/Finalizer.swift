import BerthModel

/// The last steps of a load, on the merged canonical tree: profiles, then
/// each service in turn (checked, given the default network when it names
/// none, its `env_file` contents added to its environment), the default
/// network and the host names of resources, and the dependency graph.
///
/// Normalizing and validating go through the services once, together, so
/// that each service's errors come in one run and in file order; the checks
/// are in 6-Validate. Errors are collected and thrown together at the end.
struct Finalizer {
    let files: SourceFiles
    let options: LoadOptions
    let name: ProjectName
    let projectDirectory: String
    let environment: (String) -> String?
    /// What is wrong, in the order found.
    var errors: [BerthError] = []
    /// The dependency graph's edges, with where each was declared.
    var edges: [DependencyEdge] = []
    /// Whether a service is on the project's default network while the file declares none.
    var usesDefaultNetwork = false

    consuming func finalize(_ model: consuming Node, readFiles: [String]) throws(BerthError) -> LoadedProject {
        var model = model
        var services = model["services"]?.entries ?? []
        let servicesMark = model["services"]?.mark
        // Dropping the tree's reference leaves `services` the only owner of its
        // array and of each service's entries, so that the changes below are
        // made in place instead of copying every service (the loader hands
        // over the only other reference).
        if servicesMark != nil { model["services"] = .null() }
        let profiles = applyProfiles(&services)
        let scope = ProjectScope(model, services: services, disabled: profiles.disabled)
        for i in services.indices {
            var service = services[i].value
            // The array's reference dropped, `service` owns its entries alone and
            // adding `networks` or `environment` changes them in place, not a copy.
            services[i].value = .null()
            finalizeService(services[i].key, &service, keyMark: services[i].keyMark, scope)
            services[i].value = service
        }
        // Resources referenced by nothing are still kept, as docker compose keeps them.
        if usesDefaultNetwork { addDefaultNetwork(&model, declared: scope.networks) }
        model["services"] = Node(.mapping(services), mark: servicesMark ?? .synthetic)
        nameResources(&model)
        if let error = BerthError.combined(errors) { throw error }

        let graph = try DependencyGraph(services: services.map(\.key), edges: edges)
        var loaded = LoadedProject(
            canonical: Self.ordered(model), name: name, projectDirectory: projectDirectory, graph: graph,
            activeProfiles: profiles.active.sorted(), allProfiles: profiles.all.sorted(), files: readFiles)
        for section in ["secrets", "configs"] {
            for entry in loaded.canonical[section]?.entries ?? [] {
                guard let variable = entry.value["environment"]?.scalarText, let value = environment(variable) else {
                    continue
                }
                loaded.fileObjectEnvironment[variable] = value
            }
        }
        return loaded
    }

    /// One service, checked and completed, its references added to `edges`.
    private mutating func finalizeService(
        _ serviceName: String, _ service: inout Node, keyMark mark: Mark, _ scope: ProjectScope
    ) {
        func base() -> String { "services.\(serviceName)" }
        let fields = ServiceFields(service)
        checkDefinition(serviceName, fields, mark, base())
        attachNetworks(&service, fields, scope, base())
        resolveDependsOn(serviceName, &service, fields, scope, base())
        addReferences(serviceName, fields, scope, base())
        checkDeclared(fields, scope, base())
        checkContainerName(fields, base())
        errors += consistencyErrors(fields, base())
        addEnvFiles(&service, fields, mark, base())
    }

    /// Records an error at `mark` for the value at `path`.
    mutating func fail(_ mark: Mark, _ path: String, _ message: String) {
        errors.append(BerthError(.invalidCompose, message, location: files.location(mark), path: path))
    }

    /// The top level in docker compose's order: name, services, networks, volumes, secrets, configs, then extensions.
    static func ordered(_ model: Node) -> Node {
        var entries: [Node.Entry] = []
        for key in ["name", "services", "networks", "volumes", "secrets", "configs", "models"] {
            if let e = model.entry(key), !(key != "name" && key != "services" && (e.value.entries?.isEmpty ?? true)) {
                entries.append(e)
            }
        }
        if model.entry("services") == nil {
            entries.append(.init(key: "services", keyMark: .synthetic, value: .map([])))
        }
        entries += (model.entries ?? []).filter { $0.key.hasPrefix("x-") }.sorted { $0.key < $1.key }
        return Node(.mapping(entries), mark: model.mark, tag: .ordered)
    }
}
