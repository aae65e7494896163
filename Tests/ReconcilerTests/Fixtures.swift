import BerthModel
import Reconciler
import RuntimeKit
import TestSupport
import Testing

/// Builds projects the way the loader would hand them over, from a few
/// services, so the reconciler's tests need no YAML.
enum Fixture {
    static let projectName = ProjectName("demo")

    /// The images every fixture service may use.
    static let images = ["busybox", "postgres:16", "postgres:17", "redis:7", "nginx:1.27", "migrate:1"]

    /// A service; everything else is the loader's default.
    static func service(
        _ name: String, image: String = "busybox", environment: [String: String?] = [:],
        dependsOn: [String: Dependency] = [:], networkMode: NetworkMode? = nil, replicas: Int = 1,
        volumes: [Mount] = [], healthcheck: Healthcheck? = nil
    ) -> Service {
        var service = Service(name: name)
        service.image = image
        service.environment = environment
        service.dependsOn = dependsOn
        service.networkMode = networkMode
        service.replicas = replicas
        service.volumes = volumes
        service.healthcheck = healthcheck
        return service
    }

    /// A project named `demo`: services without `network_mode` join the
    /// default network, named volumes are declared, the graph is built from
    /// `depends_on` and `network_mode: service:`, and every service gets a
    /// config hash of its content, as the loader computes one.
    static func project(_ services: [Service], externalVolumes: Set<String> = []) throws -> Project {
        guard let name = projectName else { throw BerthError(.usage, "bad fixture project name") }
        var byName: [String: Service] = [:]
        var edges: [DependencyEdge] = []
        var volumes: [String: Volume] = [:]
        var usesDefault = false
        for var service in services {
            if service.networkMode == nil && service.networks.isEmpty {
                service.networks = [ServiceNetwork(network: "default")]
            }
            usesDefault = usesDefault || service.networks.contains { $0.network == "default" }
            for mount in service.volumes where mount.type == .volume {
                guard let key = mount.source else { continue }
                let external = externalVolumes.contains(key)
                volumes[key] = Volume(name: external ? key : "demo_\(key)", external: external)
            }
            for dependency in service.dependsOn.keys {
                edges.append(DependencyEdge(from: service.name, to: dependency, kind: .dependsOn))
            }
            if let parent = service.networkMode?.service {
                edges.append(DependencyEdge(from: service.name, to: parent, kind: .networkMode))
            }
            service.configHash = hash(service)
            byName[service.name] = service
        }
        let networks = usesDefault ? ["default": Network(name: "demo_default")] : [:]
        return Project(
            name: name, workingDirectory: "/srv/demo", services: byName, networks: networks, volumes: volumes,
            secrets: [:], configs: [:], activeProfiles: [],
            graph: try DependencyGraph(services: Array(byName.keys), edges: edges))
    }

    /// A 64-bit FNV-1a of the fields the fixtures vary, in hex: a stand-in
    /// for the loader's sha256 that changes when they do.
    static func hash(_ service: Service) -> String {
        var text = "\(service.image ?? "")|\(service.networkMode?.description ?? "")|"
        for key in service.environment.keys.sorted() {
            text += "\(key)=\(service.environment[key].flatMap { $0 } ?? "<nil>");"
        }
        text += service.volumes.map { "\($0.source ?? "")>\($0.target)" }.joined(separator: ",")
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The short hash a plan prints for `service` of `project`.
    static func short(_ project: Project, _ service: String) -> String {
        String((project.services[service]?.configHash ?? "").prefix(12))
    }

    /// The id of the container named `name`, or an empty string.
    static func id(of name: String, on runtime: FakeRuntime) async throws -> String {
        try await runtime.containers(matching: LabelFilter()).first { $0.name == name }?.id ?? ""
    }

    /// A fake runtime with every fixture image.
    static func runtime() -> FakeRuntime {
        FakeRuntime(images: images)
    }

    /// A gate over `runtime` that polls fast and finds every running
    /// container healthy.
    static func gate(
        _ runtime: FakeRuntime, project: ProjectName, health: any HealthSource = AlwaysHealthy()
    ) -> RuntimeDependencyGate {
        RuntimeDependencyGate(
            project: project, runtime: runtime, health: health, pollInterval: .milliseconds(2),
            timeout: .seconds(5))
    }

    /// Observes, plans and executes `up`: brings the fake to the state a
    /// real `berth up` would leave. Returns the plan it ran.
    @discardableResult
    static func up(_ project: Project, on runtime: FakeRuntime, options: UpOptions = UpOptions()) async throws -> Plan {
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        let plan = Planner.plan(desired: project, observed: observed, options: options)
        _ = try await Executor(runtime: runtime, gate: gate(runtime, project: project.name)).execute(plan)
        return plan
    }

    /// The plan `up` would make now.
    static func planUp(_ project: Project, on runtime: FakeRuntime, options: UpOptions = UpOptions()) async throws
        -> String
    {
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        return Planner.plan(desired: project, observed: observed, options: options).description
    }
}

/// Every running container is healthy.
struct AlwaysHealthy: HealthSource {
    func health(of container: ContainerInfo) async throws -> DependencyHealth { .healthy }
}
