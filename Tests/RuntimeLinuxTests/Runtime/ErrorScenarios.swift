import BerthModel
import RuntimeKit
import Testing

/// What a scenario plays on: a runtime, and a prefix that makes the names
/// it uses its own (the real runtime's fixture holds one scenario's
/// containers beside the others').
struct Stage: Sendable {
    let runtime: any ContainerRuntime
    let prefix: String

    /// `<prefix>-<name>`: a container.
    func name(_ name: String) -> String { prefix + "-" + name }

    /// `<prefix>_<name>`: a network or a volume.
    func resource(_ name: String) -> String { prefix + "_" + name }

    /// A busybox container that sleeps until it is stopped, on `networks`.
    func spec(_ name: String, networks: [String] = []) -> ContainerSpec {
        var spec = ContainerSpec(name: self.name(name), image: "busybox:latest")
        spec.command = ["sleep", "1000"]
        spec.networks = networks.map { NetworkAttachment(network: resource($0)) }
        return spec
    }

    /// Creates container `name` and leaves it created.
    func created(_ name: String, networks: [String] = []) async throws {
        _ = try await runtime.createContainer(spec(name, networks: networks))
    }

    /// Creates and starts container `name`.
    func running(_ name: String) async throws {
        try await created(name)
        try await runtime.startContainer(self.name(name))
    }

    /// Creates, starts and kills container `name`, which stays, exited.
    func exited(_ name: String) async throws {
        try await running(name)
        try await runtime.stopContainer(self.name(name), signal: "SIGKILL", grace: 0)
    }

    /// Creates network `name`.
    func network(_ name: String) async throws {
        _ = try await runtime.createNetwork(NetworkSpec(name: resource(name)))
    }

    /// Creates volume `name` (or finds it).
    func volume(_ name: String) async throws {
        _ = try await runtime.createVolume(name: resource(name), labels: [:])
    }
}

/// How a call ended, as far as its caller can tell.
enum Outcome: Equatable, CustomStringConvertible {
    case succeeded
    /// A `BerthError` with this code.
    case failed(BerthError.Code)
    /// Something that is not a `BerthError`: the daemon would call it internal.
    case threw(String)

    var description: String {
        switch self {
        case .succeeded: "succeeded"
        case .failed(let code): code.rawValue
        case .threw(let error): "threw \(error)"
        }
    }
}

/// One situation a caller of `ContainerRuntime` can meet, and the code the
/// call that meets it fails with (nil: it succeeds). `given` makes the
/// situation and must not fail; `when` is the call whose end is compared.
struct ErrorScenario: Sendable, CustomTestStringConvertible {
    typealias Step = @Sendable (Stage) async throws -> Void

    let situation: String
    let expected: BerthError.Code?
    let given: Step
    let when: Step

    init(_ situation: String, _ expected: BerthError.Code?, given: @escaping Step = { _ in }, when: @escaping Step) {
        self.situation = situation
        self.expected = expected
        self.given = given
        self.when = when
    }

    var testDescription: String { situation }

    var outcome: Outcome { expected.map(Outcome.failed) ?? .succeeded }

    /// Sets the situation up on `stage`, then reports how the call ended.
    func play(on stage: Stage) async throws -> Outcome {
        try await given(stage)
        do {
            try await when(stage)
            return .succeeded
        } catch let error as BerthError {
            return .failed(error.code)
        } catch {
            return .threw("\(error)")
        }
    }
}

extension ErrorScenario {
    /// Every scenario, by kind of object: the codes the daemon turns into statuses.
    static let all: [ErrorScenario] = images + creates + lifecycle + execs + networks + volumes

    static let images = [
        ErrorScenario(
            "look up an image that is not there", .notFound, when: { _ = try await $0.runtime.image("nosuch:1.0") })
    ]

    static let creates = [
        ErrorScenario(
            "create from an image that is not there", .notFound,
            when: { s in
                var spec = s.spec("ghost")
                spec.image = "nosuch:1.0"
                _ = try await s.runtime.createContainer(spec)
            }),
        ErrorScenario(
            "create under a container name taken", .alreadyExists, given: { try await $0.created("web") },
            when: { try await $0.created("web") }),
        ErrorScenario(
            "create on a network that is not there", .notFound,
            when: { try await $0.created("web", networks: ["nosuch"]) }),
        ErrorScenario(
            "create in the network of a container that is not there", .notFound,
            when: { s in
                var spec = s.spec("web")
                spec.networkMode = .container(s.name("nosuch"))
                _ = try await s.runtime.createContainer(spec)
            }),
        ErrorScenario(
            "create with volumes_from a container that is not there", .notFound,
            when: { s in
                var spec = s.spec("web")
                spec.volumesFrom = [VolumesFromContainer(container: s.name("nosuch"))]
                _ = try await s.runtime.createContainer(spec)
            }),
        ErrorScenario(
            "create in the pid namespace of a container not running", .invalidState,
            given: { try await $0.created("db") },
            when: { s in
                var spec = s.spec("web")
                spec.pidMode = .container(s.name("db"))
                _ = try await s.runtime.createContainer(spec)
            }),
    ]

    static let lifecycle = [
        ErrorScenario(
            "start a container that is not there", .notFound,
            when: { try await $0.runtime.startContainer($0.name("nosuch")) }),
        ErrorScenario(
            "start a running container", nil, given: { try await $0.running("web") },
            when: { try await $0.runtime.startContainer($0.name("web")) }),
        ErrorScenario(
            "start an exited container", nil, given: { try await $0.exited("web") },
            when: { try await $0.runtime.startContainer($0.name("web")) }),
        ErrorScenario(
            "stop a container that is not there", .notFound,
            when: { try await $0.runtime.stopContainer($0.name("nosuch"), signal: "SIGTERM", grace: 0) }),
        ErrorScenario(
            "stop a created container", nil, given: { try await $0.created("web") },
            when: { try await $0.runtime.stopContainer($0.name("web"), signal: "SIGTERM", grace: 0) }),
        ErrorScenario(
            "stop an exited container", nil, given: { try await $0.exited("web") },
            when: { try await $0.runtime.stopContainer($0.name("web"), signal: "SIGTERM", grace: 0) }),
        ErrorScenario(
            "stop with a signal that does not exist", .invalidArgument, given: { try await $0.running("web") },
            when: { try await $0.runtime.stopContainer($0.name("web"), signal: "SIGNOPE", grace: 0) }),
        ErrorScenario(
            "kill a container that is not there", .notFound,
            when: { try await $0.runtime.killContainer($0.name("nosuch"), signal: "SIGKILL") }),
        ErrorScenario(
            "kill a created container", .invalidState, given: { try await $0.created("web") },
            when: { try await $0.runtime.killContainer($0.name("web"), signal: "SIGKILL") }),
        ErrorScenario(
            "kill an exited container", .invalidState, given: { try await $0.exited("web") },
            when: { try await $0.runtime.killContainer($0.name("web"), signal: "SIGKILL") }),
        ErrorScenario(
            "kill with a signal that does not exist", .invalidArgument, given: { try await $0.running("web") },
            when: { try await $0.runtime.killContainer($0.name("web"), signal: "SIGNOPE") }),
        ErrorScenario(
            "remove a container that is not there", .notFound,
            when: { try await $0.runtime.removeContainer($0.name("nosuch"), force: false) }),
        ErrorScenario(
            "remove a running container without force", .invalidState, given: { try await $0.running("web") },
            when: { try await $0.runtime.removeContainer($0.name("web"), force: false) }),
        ErrorScenario(
            "remove a running container with force", nil, given: { try await $0.running("web") },
            when: { try await $0.runtime.removeContainer($0.name("web"), force: true) }),
        ErrorScenario(
            "remove a created container without force", nil, given: { try await $0.created("web") },
            when: { try await $0.runtime.removeContainer($0.name("web"), force: false) }),
        ErrorScenario(
            "wait for a container that is not there", .notFound,
            when: { _ = try await $0.runtime.waitContainer($0.name("nosuch")) }),
    ]

    static let execs = [
        ErrorScenario(
            "exec in a container that is not there", .notFound,
            when: { _ = try await $0.runtime.exec($0.name("nosuch"), ExecSpec(command: ["true"])) }),
        ErrorScenario(
            "exec in a created container", .invalidState, given: { try await $0.created("web") },
            when: { _ = try await $0.runtime.exec($0.name("web"), ExecSpec(command: ["true"])) }),
        ErrorScenario(
            "exec in an exited container", .invalidState, given: { try await $0.exited("web") },
            when: { _ = try await $0.runtime.exec($0.name("web"), ExecSpec(command: ["true"])) }),
        ErrorScenario(
            "exec with no command", .invalidSpec, given: { try await $0.running("web") },
            when: { _ = try await $0.runtime.exec($0.name("web"), ExecSpec(command: [])) }),
    ]

    static let networks = [
        ErrorScenario(
            "create a network under a name taken", .alreadyExists, given: { try await $0.network("net") },
            when: { try await $0.network("net") }),
        ErrorScenario(
            "remove a network that is not there", .notFound,
            when: { try await $0.runtime.removeNetwork($0.resource("nosuch")) }),
        ErrorScenario(
            "remove a network a container is on", .inUse,
            given: { s in
                try await s.network("net")
                try await s.created("web", networks: ["net"])
            },
            when: { try await $0.runtime.removeNetwork($0.resource("net")) }),
    ]

    static let volumes = [
        ErrorScenario(
            "create a volume under a name taken", nil, given: { try await $0.volume("data") },
            when: { try await $0.volume("data") }),
        ErrorScenario(
            "remove a volume that is not there", .notFound,
            when: { try await $0.runtime.removeVolume($0.resource("nosuch")) }),
        ErrorScenario(
            "remove a volume a created container mounts", .inUse,
            given: { s in
                var spec = s.spec("db")
                spec.mounts = [.volume(name: s.resource("data"), target: "/data", readOnly: false, nocopy: false)]
                _ = try await s.runtime.createContainer(spec)
            },
            when: { try await $0.runtime.removeVolume($0.resource("data")) }),
    ]
}
