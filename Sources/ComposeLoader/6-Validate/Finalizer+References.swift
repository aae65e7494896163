import BerthModel

/// References from one service to another: `depends_on`, `links`,
/// `network_mode`/`ipc`/`pid: service:x` and `volumes_from`. Each must name
/// an enabled service, and each is an edge of the dependency graph.
extension Finalizer {
    /// `depends_on`, without the services that are not there but not
    /// required (`required: false`); a required one that is missing is an
    /// error, which says so when profiles left it out.
    mutating func resolveDependsOn(
        _ serviceName: String, _ service: inout Node, _ fields: ServiceFields, _ scope: ProjectScope,
        _ base: @autoclosure () -> String
    ) {
        let dependsOnNode = fields.dependsOn
        var dependsOn = dependsOnNode?.entries ?? []
        // (`removeAll` would copy the shared list even with nothing to remove.)
        if dependsOn.contains(where: { !scope.serviceNames.contains($0.key) }) {
            dependsOn.removeAll { dep in
                guard !scope.serviceNames.contains(dep.key) else { return false }
                let required = dep.value["required"]?.scalarText != "false"
                if !required { return true }
                if let off = scope.disabled[dep.key] {
                    let profiles = off["profiles"]?.items?.compactMap(\.scalarText).joined(separator: ", ") ?? ""
                    fail(
                        dep.keyMark, "\(base()).depends_on.\(dep.key)",
                        "depends on \"\(dep.key)\", which is disabled: enable its profile (\(profiles)) with --profile")
                } else {
                    fail(
                        dep.keyMark, "\(base()).depends_on.\(dep.key)",
                        undefined("service", dep.key, Array(scope.serviceNames)))
                }
                return true
            }
        }
        if let dependsOnNode, dependsOn.count != dependsOnNode.entries?.count {
            service["depends_on"] = Node(.mapping(dependsOn), mark: dependsOnNode.mark)
        }
        for dep in dependsOn {
            edges.append(
                DependencyEdge(from: serviceName, to: dep.key, kind: .dependsOn, location: files.location(dep.keyMark)))
        }
    }

    /// The edges of `links`, `network_mode`, `ipc`, `pid` and `volumes_from`, each checked.
    mutating func addReferences(
        _ serviceName: String, _ fields: ServiceFields, _ scope: ProjectScope, _ base: @autoclosure () -> String
    ) {
        for (j, link) in (fields.links?.items ?? []).enumerated() {
            let target = String((link.scalarText ?? "").split(separator: ":").first ?? "")
            checkServiceReference(target, link.mark, "\(base()).links[\(j)]", scope)
            edges.append(
                DependencyEdge(from: serviceName, to: target, kind: .links, location: files.location(link.mark)))
        }
        // (Called once a key, not looped over an array of tuples: such an
        // array was copied and destroyed through the runtime's generic tuple code.)
        addServiceReference(serviceName, "network_mode", .networkMode, fields.networkMode, scope, base()) {
            NetworkMode($0).service
        }
        addServiceReference(serviceName, "ipc", .ipc, fields.ipc, scope, base()) { NamespaceMode($0).service }
        addServiceReference(serviceName, "pid", .pid, fields.pid, scope, base()) { NamespaceMode($0).service }
        for (j, from) in (fields.volumesFrom?.items ?? []).enumerated() {
            guard let text = from.scalarText else { continue }
            guard let entry = VolumesFrom(parsing: text) else {
                fail(
                    from.mark, "\(base()).volumes_from[\(j)]",
                    "\"\(text)\" must be SERVICE[:MODE] or container:NAME[:MODE], where MODE is ro or rw")
                continue
            }
            guard let target = entry.service else { continue }
            checkServiceReference(target, from.mark, "\(base()).volumes_from[\(j)]", scope)
            edges.append(
                DependencyEdge(from: serviceName, to: target, kind: .volumesFrom, location: files.location(from.mark)))
        }
    }

    /// The service that `network_mode`, `ipc` or `pid` names (`service:x`),
    /// as `service` reads it from the value's text.
    private mutating func addServiceReference(
        _ serviceName: String, _ key: String, _ kind: DependencyKind, _ node: Node?, _ scope: ProjectScope,
        _ base: @autoclosure () -> String, service: (String) -> String?
    ) {
        guard let node, let text = node.scalarText, let target = service(text) else { return }
        checkServiceReference(target, node.mark, "\(base()).\(key)", scope)
        edges.append(DependencyEdge(from: serviceName, to: target, kind: kind, location: files.location(node.mark)))
    }

    private mutating func checkServiceReference(
        _ target: String, _ mark: Mark, _ path: @autoclosure () -> String, _ scope: ProjectScope
    ) {
        guard !scope.serviceNames.contains(target) else { return }
        let message =
            scope.disabled[target] != nil
            ? "refers to service \"\(target)\", which is disabled by its profiles"
            : undefined("service", target, Array(scope.serviceNames))
        errors.append(BerthError(.invalidCompose, message, location: files.location(mark), path: path()))
    }
}
