import BerthModel
import RuntimeKit

/// What the reconciler will do, decided in full before anything runs.
///
/// Stages run one after another; the steps of a stage run in parallel; the
/// actions of a step run in order on one object. The plan prints as text, one
/// line per action, and that text is what the tests compare and what
/// `berth up --dry-run` can show:
///
/// ```
/// resources:
///   network demo_default: create
/// level 1:
///   container demo-db-1: create (hash 3f2a1b2c3d4e)
///   container demo-db-1: start
/// level 2:
///   container demo-web-1: create (hash 9c81d0e2b7aa)
///   container demo-web-1: start, wait for db healthy
/// ```
///
/// An empty plan prints `nothing to do`.
public struct Plan: Sendable, Hashable, CustomStringConvertible {
    /// What the executor does when a step fails.
    public enum FailurePolicy: Sendable, Hashable {
        /// `up`: stop after the failing stage, cancel its other steps, remove
        /// what was created for the failed services, report.
        case stopAtFirstFailure
        /// `down`: try every step of every stage, then report every failure
        /// together (netavark's `NetavarkErrorList`).
        case keepGoing
    }

    /// The project the plan is for.
    public var project: ProjectName
    /// In execution order; empty stages are never kept.
    public var stages: [Stage]
    /// Things noticed but deliberately left alone (orphans kept, volumes
    /// kept by `down`), printed first.
    public var notes: [String]
    /// Whether a failure stops the plan.
    public var failurePolicy: FailurePolicy

    /// A plan from its parts; stages without steps are dropped.
    public init(project: ProjectName, stages: [Stage], notes: [String] = [], failurePolicy: FailurePolicy) {
        self.project = project
        self.stages = stages.filter { !$0.steps.isEmpty }
        self.notes = notes
        self.failurePolicy = failurePolicy
    }

    /// True when running the plan would change nothing.
    public var isEmpty: Bool { stages.isEmpty }

    /// Every step, stage by stage.
    public var steps: [Step] { stages.flatMap(\.steps) }

    /// The plan as text: notes, then each stage with its steps indented.
    public var description: String {
        var lines = notes.map { "note: \($0)" }
        if stages.isEmpty {
            lines.append("nothing to do")
        }
        for stage in stages {
            lines.append("\(stage.title):")
            lines += stage.steps.flatMap(\.lines).map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// Steps that run in parallel: the networks and volumes, one level of the
/// dependency graph, or the orphans.
public struct Stage: Sendable, Hashable {
    /// `orphans`, `resources` or `level N` (N counts from the services
    /// without dependencies, in `up` and `down` alike).
    public var title: String
    /// Sorted by object, so the printed plan is stable.
    public var steps: [Step]

    /// A stage; its steps are sorted by what they act on.
    public init(title: String, steps: [Step]) {
        self.title = title
        self.steps = steps.sorted { $0.object.sortKey < $1.object.sortKey }
    }
}

/// Actions on one object, run in order.
public struct Step: Sendable, Hashable {
    /// What a step acts on.
    public enum Object: Sendable, Hashable, CustomStringConvertible {
        /// A container by name, with the service it is a replica of.
        case container(name: String, service: String)
        /// A network by host name.
        case network(String)
        /// A volume by host name.
        case volume(String)

        /// `container demo-web-1`, `network demo_default`, `volume demo_data`.
        public var description: String {
            switch self {
            case .container(let name, _): return "container \(name)"
            case .network(let name): return "network \(name)"
            case .volume(let name): return "volume \(name)"
            }
        }

        /// The service, for containers.
        public var service: String? {
            if case .container(_, let service) = self { return service }
            return nil
        }

        /// Networks before volumes before containers, then by name.
        var sortKey: String {
            switch self {
            case .network(let name): return "0 \(name)"
            case .volume(let name): return "1 \(name)"
            case .container(let name, _): return "2 \(name)"
            }
        }
    }

    /// The object.
    public var object: Object
    /// The runtime's id of the container found in the snapshot, which
    /// `stop` and `remove` act on; a `create` in the step replaces it for
    /// the actions after it. Nil for new containers, networks and volumes.
    public var containerID: String?
    /// Why the step exists, printed on its first line; nil for the plain
    /// cases (a missing object is created).
    public var reason: String?
    /// What to do, in order.
    public var actions: [Action]

    /// A step.
    public init(object: Object, containerID: String? = nil, reason: String? = nil, actions: [Action]) {
        self.object = object
        self.containerID = containerID
        self.reason = reason
        self.actions = actions
    }

    /// One line per action, `<object>: <action>`; the reason goes in
    /// parentheses on the first one.
    public var lines: [String] {
        actions.enumerated().map { index, action in
            var text = "\(object): \(action)"
            if index == 0, let reason {
                text += " (\(reason))"
            }
            return text
        }
    }
}

/// One runtime call, or a start preceded by its waits.
public enum Action: Sendable, Hashable, CustomStringConvertible {
    /// Create a container from a finished spec.
    case create(ContainerSpec)
    /// Wait for each dependency condition in turn, then start the container.
    case start(waits: [Wait])
    /// Stop the container: the signal, then SIGKILL after `grace` nanoseconds.
    case stop(signal: String, grace: Int64)
    /// Remove the container.
    case remove
    /// Remove the container but not its anonymous volumes: the `create`
    /// after it (a recreate) mounts them again.
    case removeKeepingAnonymousVolumes
    /// Create a network.
    case createNetwork(NetworkSpec)
    /// Remove the step's network.
    case removeNetwork
    /// Create the step's volume with these labels.
    case createVolume(labels: [String: String])
    /// Remove the step's volume.
    case removeVolume

    /// The action as printed; hashes are shortened to 12 characters, enough
    /// to tell two configurations apart by eye.
    public var description: String {
        switch self {
        case .create(let spec):
            let hash = spec.labels[ComposeLabel.configHash] ?? ""
            return hash.isEmpty ? "create" : "create (hash \(hash.prefix(12)))"
        case .start(let waits):
            guard !waits.isEmpty else { return "start" }
            return "start, wait for " + waits.map(\.description).joined(separator: ", ")
        case .stop: return "stop"
        case .remove: return "remove"
        case .removeKeepingAnonymousVolumes: return "remove, keep anonymous volumes"
        case .createNetwork, .createVolume: return "create"
        case .removeNetwork, .removeVolume: return "remove"
        }
    }
}

/// A `depends_on` condition that gates a start.
public struct Wait: Sendable, Hashable, CustomStringConvertible {
    /// The service depended on.
    public var service: String
    /// What it must reach.
    public var condition: Dependency.Condition
    /// false: a failure of the dependency is reported as a warning and the
    /// start goes ahead (`required: false`, as docker compose does).
    public var required: Bool

    /// A wait.
    public init(service: String, condition: Dependency.Condition, required: Bool = true) {
        self.service = service
        self.condition = condition
        self.required = required
    }

    /// `db healthy`, `migrate completed successfully`, `cache started (optional)`.
    public var description: String {
        let word: String
        switch condition {
        case .started: word = "started"
        case .healthy: word = "healthy"
        case .completedSuccessfully: word = "completed successfully"
        }
        return "\(service) \(word)" + (required ? "" : " (optional)")
    }
}
