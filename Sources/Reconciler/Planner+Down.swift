import BerthModel
import RuntimeKit

extension Planner {
    /// The plan of `berth down`: stop and remove the containers dependents
    /// first (the graph's levels in reverse), then remove the networks, and
    /// the volumes only with `removeVolumes`. External networks and volumes
    /// are never touched.
    ///
    /// With `desired`, containers of services it lacks are orphans, removed
    /// only with `removeOrphans`, and only the project's declared networks
    /// and volumes are removed. Without it (`down -p name` and no compose
    /// file) everything carrying the project label goes, ordered by the
    /// `depends_on` labels the containers were created with.
    ///
    /// The plan keeps going past failures: a teardown tries every resource
    /// and reports all that failed.
    public static func planDown(
        desired: Project? = nil, observed: ObservedState, removeVolumes: Bool = false, removeOrphans: Bool = false
    ) -> Plan {
        var notes: [String] = []
        var stages: [Stage] = []
        let known = desired.map { Set($0.services.keys) }
        var byService: [String: [ContainerInfo]] = [:]
        var orphans: [ContainerInfo] = []
        for info in observed.containers {
            // A container without a service label was not made for a
            // service (a tool's helper): not ours to remove.
            guard let service = info.composeService else { continue }
            if let known, !known.contains(service) {
                orphans.append(info)
            } else {
                byService[service, default: []].append(info)
            }
        }

        if removeOrphans {
            let steps = orphans.map { info in
                removal(info, service: info.composeService ?? "", reason: "orphan", desired: nil)
            }
            stages.append(Stage(title: "orphans", steps: steps))
        } else {
            notes += orphans.map(keptOrphanNote)
        }

        func removals(_ service: String) -> [Step] {
            (byService[service] ?? []).map {
                removal($0, service: service, reason: nil, desired: desired?.services[service])
            }
        }
        let levels = desired?.graph.startLevels ?? recordedLevels(byService)
        var placed: Set<String> = []
        var levelStages: [Stage] = []
        for (index, level) in levels.enumerated() {
            placed.formUnion(level)
            levelStages.append(Stage(title: "level \(index + 1)", steps: level.flatMap(removals)))
        }
        // Services the graph does not place (a hand-built project) stop
        // first: nothing is known to depend on them being up.
        let unplaced = byService.keys.filter { !placed.contains($0) }.sorted()
        stages.append(Stage(title: "level \(levels.count + 1)", steps: unplaced.flatMap(removals)))
        stages += levelStages.reversed()

        let networks = ownedNames(
            desired: desired?.networks.values.filter { !$0.external }.map(\.name),
            observed: observed.networks.map(\.name))
        let volumes = ownedNames(
            desired: desired?.volumes.values.filter { !$0.external }.map(\.name),
            observed: observed.volumes.map(\.name))
        var resources = networks.map { Step(object: .network($0), actions: [.removeNetwork]) }
        if removeVolumes {
            resources += volumes.map { Step(object: .volume($0), actions: [.removeVolume]) }
        } else {
            notes += volumes.map { "volume \($0) is kept; --volumes removes it" }
        }
        stages.append(Stage(title: "resources", steps: resources))

        let project = desired?.name ?? observed.project
        return Plan(project: project, stages: stages, notes: notes, failurePolicy: .keepGoing)
    }

    /// Names that exist and that the project owns: the declared ones when
    /// the project is known, else every labelled one. Sorted.
    static func ownedNames(desired: [String]?, observed: [String]) -> [String] {
        guard let desired else { return observed.sorted() }
        let present = Set(observed)
        return Set(desired).filter(present.contains).sorted()
    }

    /// Start levels rebuilt from the `depends_on` labels; when the labels
    /// form a cycle (edited by hand), one level: stopping still works, only
    /// the order is lost.
    static func recordedLevels(_ byService: [String: [ContainerInfo]]) -> [[String]] {
        var edges: [DependencyEdge] = []
        for (service, containers) in byService {
            for dependency in containers.flatMap(\.recordedDependencies) {
                edges.append(DependencyEdge(from: service, to: dependency.service, kind: .dependsOn))
            }
        }
        let services = Array(byService.keys)
        guard let graph = try? DependencyGraph(services: services, edges: edges) else {
            return [services.sorted()]
        }
        return graph.startLevels
    }

    /// Stop (when running) then remove one container, with the service's
    /// stop signal and grace when the service is known, docker's defaults
    /// otherwise.
    static func removal(_ info: ContainerInfo, service: String, reason: String?, desired: Service?) -> Step {
        var actions: [Action] = []
        if info.state.isRunning {
            actions.append(
                .stop(
                    signal: desired?.stopSignal ?? ServiceSpecs.defaultStopSignal,
                    grace: desired?.stopGracePeriod ?? ServiceSpecs.defaultStopGrace))
        }
        actions.append(.remove)
        return Step(
            object: .container(name: info.name, service: service), containerID: info.id, reason: reason,
            actions: actions)
    }

    /// The note for an orphan left in place.
    static func keptOrphanNote(_ info: ContainerInfo) -> String {
        "orphan container \(info.name) (service \(info.composeService ?? "?")) is kept; --remove-orphans removes it"
    }

    /// The services whose containers this one shares a namespace or mounts
    /// with, keyed by the compose key that says so: `network_mode`, `ipc`,
    /// `pid` (`service:x`) and `volumes_from` (a service, not a container).
    static func namespaceParents(of service: Service) -> [(key: String, service: String)] {
        var parents: [(key: String, service: String)] = []
        if let parent = service.networkMode?.service { parents.append(("network_mode", parent)) }
        if let parent = service.ipc?.service { parents.append(("ipc", parent)) }
        if let parent = service.pid?.service { parents.append(("pid", parent)) }
        for entry in service.volumesFrom {
            if let parent = entry.service { parents.append(("volumes_from", parent)) }
        }
        return parents
    }
}
