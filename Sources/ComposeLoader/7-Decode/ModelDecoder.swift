import BerthModel

/// Reads the typed `Project` out of a validated canonical tree. Everything
/// here is already checked, so it only converts; a value it cannot read is
/// left at its default rather than trusted.
struct ModelDecoder {
    let projectDirectory: String
    /// Values of the variables secrets and configs read with `environment:`.
    var environment: [String: String] = [:]

    func project(_ model: Node, name: ProjectName, activeProfiles: [String], graph: DependencyGraph) -> Project {
        var services: [String: Service] = [:]
        for e in model["services"]?.entries ?? [] {
            services[e.key] = service(e.key, e.value)
        }
        var networks: [String: Network] = [:]
        for e in model["networks"]?.entries ?? [] {
            let n = e.value
            networks[e.key] = Network(
                name: n["name"]?.scalarText ?? e.key, driver: n["driver"]?.scalarText,
                driverOptions: strings(n["driver_opts"]),
                external: bool(n["external"]), internal: bool(n["internal"]), enableIPv6: bool(n["enable_ipv6"]),
                labels: strings(n["labels"]),
                ipam: (n["ipam"]?["config"]?.items ?? []).map {
                    IPAMConfig(
                        subnet: $0["subnet"]?.scalarText, gateway: $0["gateway"]?.scalarText,
                        ipRange: $0["ip_range"]?.scalarText)
                })
        }
        var volumes: [String: Volume] = [:]
        for e in model["volumes"]?.entries ?? [] {
            let v = e.value
            volumes[e.key] = Volume(
                name: v["name"]?.scalarText ?? e.key, driver: v["driver"]?.scalarText,
                driverOptions: strings(v["driver_opts"]),
                external: bool(v["external"]), labels: strings(v["labels"]))
        }
        func fileObjects(_ section: String) -> [String: FileObject] {
            var out: [String: FileObject] = [:]
            for e in model[section]?.entries ?? [] {
                let v = e.value
                let source: FileObject.Source
                if let f = v["file"]?.scalarText {
                    source = .file(f)
                } else if let env = v["environment"]?.scalarText {
                    source = .environment(env)
                } else if let c = v["content"]?.scalarText {
                    source = .content(c)
                } else {
                    source = .external
                }
                out[e.key] = FileObject(
                    name: v["name"]?.scalarText ?? e.key, source: source, labels: strings(v["labels"]))
                if case .environment(let variable) = source { out[e.key]?.environmentValue = environment[variable] }
            }
            return out
        }
        return Project(
            name: name, workingDirectory: projectDirectory, services: services, networks: networks, volumes: volumes,
            secrets: fileObjects("secrets"), configs: fileObjects("configs"), activeProfiles: activeProfiles,
            graph: graph)
    }

    func list(_ node: Node?) -> [String]? {
        guard let items = node?.items else { return nil }
        return items.compactMap(\.scalarText)
    }

    func strings(_ node: Node?) -> [String: String] {
        var out: [String: String] = [:]
        for e in node?.entries ?? [] { out[e.key] = e.value.isNull ? "" : e.value.scalarText ?? "" }
        return out
    }

    func optionalStrings(_ node: Node?) -> [String: String?] {
        var out: [String: String?] = [:]
        for e in node?.entries ?? [] { out[e.key] = e.value.isNull ? .some(nil) : e.value.scalarText }
        return out
    }

    func int(_ node: Node?) -> Int? { node?.scalarText.flatMap(ScalarType.int) }
    func bool(_ node: Node?) -> Bool { node?.scalarText.flatMap(ScalarType.bool) ?? false }
    func duration(_ node: Node?) -> Int64? { node?.scalarText.flatMap(DurationText.parse) }
}
