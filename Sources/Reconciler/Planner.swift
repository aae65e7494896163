import BerthModel
import RuntimeKit

/// The flags of `berth up` that change what is planned.
public struct UpOptions: Sendable, Hashable {
    /// Services named on the command line; empty means all of them.
    public var services: [String]
    /// Leave the selected services' dependencies alone (and do not wait for them).
    public var noDeps: Bool
    /// Recreate the selected services' containers even when unchanged
    /// (their dependencies are still recreated only when changed).
    public var forceRecreate: Bool
    /// Never recreate, even when changed; wins over `forceRecreate`.
    public var noRecreate: Bool
    /// Stop and remove containers of services no longer in the project.
    public var removeOrphans: Bool
    /// `--scale service=n`, over `deploy.replicas`/`scale`.
    public var scale: [String: Int]
    /// Create (and recreate) containers but start none.
    public var noStart: Bool
    /// `-V`: a recreated container gets new anonymous volumes instead of
    /// the old container's (and their data).
    public var renewAnonymousVolumes: Bool

    /// Options; the defaults are a plain `berth up`.
    public init(
        services: [String] = [], noDeps: Bool = false, forceRecreate: Bool = false, noRecreate: Bool = false,
        removeOrphans: Bool = false, scale: [String: Int] = [:], noStart: Bool = false,
        renewAnonymousVolumes: Bool = false
    ) {
        self.services = services
        self.noDeps = noDeps
        self.forceRecreate = forceRecreate
        self.noRecreate = noRecreate
        self.removeOrphans = removeOrphans
        self.scale = scale
        self.noStart = noStart
        self.renewAnonymousVolumes = renewAnonymousVolumes
    }
}

extension UpOptions {
    /// The services `up` acts on: every one when none is named; else the
    /// named ones and, unless `noDeps`, everything they depend on through
    /// any kind of dependency the graph knows (`depends_on`, `links`,
    /// `volumes_from`, `service:` in `network_mode`, `ipc` or `pid`).
    public func scope(in project: Project) -> [String] {
        services.isEmpty ? project.serviceNames : project.graph.selecting(services, noDeps: noDeps)
    }
}

/// Decides what to do: pure functions from the desired project and one
/// observed snapshot to a `Plan`. Nothing here talks to the runtime, so every
/// rule is tested by comparing printed plans.
public enum Planner {
    /// The plan of `berth up`, following docker compose's rules: missing
    /// networks and volumes first; then the containers level by level of the
    /// dependency graph: missing replicas created, changed ones recreated,
    /// stopped ones started, surplus ones removed (highest numbers first);
    /// running, unchanged containers left alone.
    public static func plan(desired: Project, observed: ObservedState, options: UpOptions = UpOptions()) -> Plan {
        var planner = UpPlanner(desired: desired, observed: observed, options: options)
        return planner.plan()
    }

    /// What `berth run` needs before its one-off container: the networks
    /// and volumes `service` uses that do not exist yet, as docker compose
    /// makes them for `run` in a project that was never up. Containers are
    /// left alone, and a service scaled to 0 gets its resources too.
    public static func planResources(desired: Project, observed: ObservedState, service: String) -> Plan {
        let planner = UpPlanner(
            desired: desired, observed: observed, options: UpOptions(services: [service], noDeps: true))
        let steps = planner.resourceSteps(evenUnscaled: true)
        return Plan(
            project: desired.name, stages: [Stage(title: "resources", steps: steps)], failurePolicy: .stopAtFirstFailure
        )
    }
}

/// How `up` treats a container whose configuration may have changed
/// (docker compose's `diverged`, `force` and `never`).
enum RecreatePolicy {
    case diverged, force, never
}

/// One `up` planning pass; `recreated` grows level by level, which is why
/// dependents are decided after their dependencies.
struct UpPlanner {
    let desired: Project
    let observed: ObservedState
    let options: UpOptions
    let scope: Set<String>
    var recreated: Set<String> = []
    var notes: [String] = []

    init(desired: Project, observed: ObservedState, options: UpOptions) {
        self.desired = desired
        self.observed = observed
        self.options = options
        scope = Set(options.scope(in: desired))
    }

    mutating func plan() -> Plan {
        for name in options.services.sorted() where desired.services[name] == nil {
            notes.append("service \(name) is not in the project; ignored")
        }
        for name in scope.sorted() {
            guard let service = desired.services[name] else { continue }
            notes += ServiceSpecs.unappliedSettings(of: service, in: desired)
        }
        var stages = [orphanStage(), Stage(title: "resources", steps: resourceSteps())]
        for (index, level) in levels().enumerated() {
            let levelSteps = level.compactMap { desired.services[$0] }.flatMap { steps(for: $0) }
            stages.append(Stage(title: "level \(index + 1)", steps: levelSteps))
        }
        return Plan(project: desired.name, stages: stages, notes: notes, failurePolicy: .stopAtFirstFailure)
    }

    /// The graph's start levels restricted to the scope. Levels keep their
    /// graph numbers even when empty, so a service prints under the same
    /// level whatever else is selected; a scoped service the graph lacks
    /// (a hand-built project) runs last.
    func levels() -> [[String]] {
        var levels = desired.graph.startLevels.map { $0.filter(scope.contains) }
        let placed = Set(levels.joined())
        let unplaced = scope.subtracting(placed).sorted()
        if !unplaced.isEmpty { levels.append(unplaced) }
        return levels
    }

    // MARK: Orphans and resources

    mutating func orphanStage() -> Stage {
        let orphans = observed.orphans(knownServices: Set(desired.services.keys))
        guard options.removeOrphans else {
            notes += orphans.map(Planner.keptOrphanNote)
            return Stage(title: "orphans", steps: [])
        }
        let steps = orphans.map { info in
            let service = info.composeService ?? ""
            return Planner.removal(
                info, service: service, reason: "orphan: service \(service) is not in the project", desired: nil)
        }
        return Stage(title: "orphans", steps: steps)
    }

    /// Networks and volumes the scoped services use that do not exist yet.
    /// Unused declared ones are not made, as docker compose drops unused
    /// resources before `up`; external ones are never made. A service
    /// scaled to 0 needs none, unless `evenUnscaled` (a one-off `run`).
    func resourceSteps(evenUnscaled: Bool = false) -> [Step] {
        var networkKeys: Set<String> = []
        var volumeKeys: Set<String> = []
        for name in scope {
            guard let service = desired.services[name], evenUnscaled || wantedReplicas(service) > 0 else { continue }
            if ServiceSpecs.networkMode(for: service, in: desired) == .bridge {
                networkKeys.formUnion(service.networks.map(\.network))
            }
            for mount in service.volumes where mount.type == .volume {
                if let key = mount.source { volumeKeys.insert(key) }
            }
        }
        var steps: [Step] = []
        for key in networkKeys {
            guard let network = desired.networks[key], !network.external,
                observed.network(named: network.name) == nil
            else { continue }
            steps.append(Step(object: .network(network.name), actions: [.createNetwork(networkSpec(key, network))]))
        }
        for key in volumeKeys {
            guard let volume = desired.volumes[key], !volume.external, observed.volume(named: volume.name) == nil
            else { continue }
            var labels = volume.labels
            labels[ComposeLabel.project] = desired.name.rawValue
            labels[ComposeLabel.volume] = key
            steps.append(Step(object: .volume(volume.name), actions: [.createVolume(labels: labels)]))
        }
        return steps
    }

    func networkSpec(_ key: String, _ network: Network) -> NetworkSpec {
        var labels = network.labels
        labels[ComposeLabel.project] = desired.name.rawValue
        labels[ComposeLabel.network] = key
        let ipam = network.ipam.first
        return NetworkSpec(
            name: network.name, labels: labels, subnet: ipam?.subnet, gateway: ipam?.gateway,
            ipRange: ipam?.ipRange, internal: network.internal)
    }

    // MARK: Containers

    func wantedReplicas(_ service: Service) -> Int {
        max(0, options.scale[service.name] ?? service.replicas)
    }

    func policy(for service: String) -> RecreatePolicy {
        if options.noRecreate { return .never }
        // Like docker compose, --force-recreate applies to the services
        // named; the dependencies pulled in only follow their changes.
        if options.forceRecreate && (options.services.isEmpty || options.services.contains(service)) {
            return .force
        }
        return .diverged
    }

    /// The steps of one service: keep the lowest-numbered replicas up to the
    /// wanted count, remove the rest, fill the lowest free numbers.
    mutating func steps(for service: Service) -> [Step] {
        let wanted = wantedReplicas(service)
        var kept: [(info: ContainerInfo, number: Int)] = []
        var numbers: Set<Int> = []
        var surplus: [ContainerInfo] = []
        for info in observed.replicas(of: service.name) {
            if let number = info.replicaNumber, kept.count < wanted, numbers.insert(number).inserted {
                kept.append((info, number))
            } else {
                surplus.append(info)
            }
        }
        let waits = waits(for: service)
        var steps: [Step] = []
        for (info, number) in kept {
            if let step = keptStep(info, number: number, service: service, waits: waits) {
                steps.append(step)
            }
        }
        var candidate = 1
        var missing: [Int] = []
        while kept.count + missing.count < wanted {
            if !numbers.contains(candidate) { missing.append(candidate) }
            candidate += 1
        }
        for number in missing {
            let spec = ServiceSpecs.spec(for: service, number: number, in: desired)
            var actions: [Action] = [.create(spec)]
            if !options.noStart { actions.append(.start(waits: waits)) }
            // A surplus container squatting on the name (its number label
            // lost) must go first, or the create would collide with it.
            var containerID: String?
            if let index = surplus.firstIndex(where: { $0.name == spec.name }) {
                let squatter = surplus.remove(at: index)
                containerID = squatter.id
                actions = stopAndRemove(squatter, service: service) + actions
            }
            steps.append(
                Step(
                    object: .container(name: spec.name, service: service.name), containerID: containerID,
                    actions: actions))
        }
        steps += surplus.map { info in
            Planner.removal(info, service: service.name, reason: "scale down to \(wanted)", desired: service)
        }
        return steps
    }

    /// What to do with a replica that stays: recreate, start, or nothing.
    mutating func keptStep(_ info: ContainerInfo, number: Int, service: Service, waits: [Wait]) -> Step? {
        let object = Step.Object.container(name: info.name, service: service.name)
        if let reason = recreateReason(info, service: service) {
            recreated.insert(service.name)
            var actions = stopAndRemove(info, service: service)
            var spec = ServiceSpecs.spec(for: service, number: number, in: desired)
            // As docker compose: the new container mounts the old one's
            // anonymous volumes again, so their data outlives the recreate.
            if !options.renewAnonymousVolumes, let inherited = info.anonymousVolumes, !inherited.isEmpty,
                let remove = actions.lastIndex(of: .remove)
            {
                actions[remove] = .removeKeepingAnonymousVolumes
                spec.inheritedVolumes = inherited
            }
            actions.append(.create(spec))
            if !options.noStart { actions.append(.start(waits: waits)) }
            return Step(object: object, containerID: info.id, reason: reason, actions: actions)
        }
        guard !options.noStart else { return nil }
        let why: String
        switch info.state {
        case .running: return nil
        case .created: why = "created, not started"
        case .exited(let code): why = "exited with code \(code)"
        // Reached only under --no-recreate: try a start, as docker does.
        case .dead: why = "dead"
        }
        return Step(object: object, containerID: info.id, reason: why, actions: [.start(waits: waits)])
    }

    func stopAndRemove(_ info: ContainerInfo, service: Service) -> [Action] {
        Planner.removal(info, service: service.name, reason: nil, desired: service).actions
    }

    /// Why a kept container must be recreated, or nil. Under `diverged`: a
    /// dead container (its OCI state is gone, a start cannot work); a
    /// config-hash label that differs from the service's hash; a namespace
    /// or `volumes_from` parent recreated in this plan (the child would keep
    /// a stale reference); a `depends_on` entry with `restart: true` on a
    /// service recreated in this plan.
    func recreateReason(_ info: ContainerInfo, service: Service) -> String? {
        switch policy(for: service.name) {
        case .never: return nil
        case .force: return "recreate: forced"
        case .diverged: break
        }
        if case .dead = info.state { return "recreate: container is dead" }
        let current = info.configHash ?? ""
        if current != service.configHash {
            let old = current.isEmpty ? "none" : String(current.prefix(12))
            return "recreate: config hash \(old) → \(service.configHash.prefix(12))"
        }
        if let wanted = service.labels[ComposeLabel.image], let had = info.labels[ComposeLabel.image], wanted != had {
            return "recreate: image \(had.dropFirst(7).prefix(12)) → \(wanted.dropFirst(7).prefix(12))"
        }
        for (key, parent) in Planner.namespaceParents(of: service) where recreated.contains(parent) {
            return "recreate: \(key) parent \(parent) is recreated"
        }
        for name in service.dependsOn.keys.sorted() where service.dependsOn[name]?.restart == true {
            if recreated.contains(name) {
                return "recreate: depends on \(name) with restart: true, which is recreated"
            }
        }
        return nil
    }

    /// The conditions gating the service's starts. Like docker compose: no
    /// wait for a dependency left out by --no-deps, or scaled to zero; an
    /// optional (`required: false`) dependency missing from the project is
    /// skipped; a required one that is missing keeps its wait, so the
    /// start fails naming it.
    func waits(for service: Service) -> [Wait] {
        service.dependsOn.keys.sorted().compactMap { name in
            guard let dependency = service.dependsOn[name] else { return nil }
            let wait = Wait(service: name, condition: dependency.condition, required: dependency.required)
            guard let target = desired.services[name] else { return dependency.required ? wait : nil }
            guard scope.contains(name), wantedReplicas(target) > 0 else { return nil }
            return wait
        }
    }
}
