import BerthModel
import RuntimeKit

/// What came of running a plan that did not fail.
public struct ExecutionReport: Sendable, Hashable {
    /// Optional dependencies that failed and were skipped, one line each.
    public var warnings: [String]

    /// A report.
    public init(warnings: [String] = []) {
        self.warnings = warnings
    }
}

/// Walks a `Plan`: stages in order, the steps of a stage in parallel (one
/// child task each), the actions of a step in order. It carries no decision
/// logic of its own (docker compose's `executor.go`): what to do, in which
/// order, and what a failure means are all in the plan.
public struct Executor: Sendable {
    public let runtime: any ContainerRuntime
    public let gate: any DependencyGate

    /// An executor over a runtime, asking `gate` before gated starts.
    public init(runtime: any ContainerRuntime, gate: any DependencyGate) {
        self.runtime = runtime
        self.gate = gate
    }

    /// Runs the plan. Under `.stopAtFirstFailure` the first failing step
    /// cancels its stage's other steps, the containers created for every
    /// service whose step did not finish are removed, and later stages do
    /// not run. Under `.keepGoing` every step runs. Either way all failures
    /// (cleanup failures included) are thrown together, in plan order.
    public func execute(_ plan: Plan) async throws(BerthError) -> ExecutionReport {
        var failures: [BerthError] = []
        var warnings: [String] = []
        for stage in plan.stages {
            let outcomes = await run(stage, cancelOnFailure: plan.failurePolicy == .stopAtFirstFailure)
            warnings += outcomes.flatMap(\.warnings)
            let failed = outcomes.compactMap(\.error)
            failures += failed
            guard !failed.isEmpty, plan.failurePolicy == .stopAtFirstFailure else { continue }
            failures += await cleanUp(after: outcomes)
            break
        }
        if let error = BerthError.combined(failures) { throw error }
        return ExecutionReport(warnings: warnings)
    }

    /// What one step did.
    struct Outcome: Sendable {
        var step: Step
        /// Ids of containers this step created, for the cleanup.
        var created: [String] = []
        var warnings: [String] = []
        var error: BerthError?
        /// True when the step did not run to its end (failed or cancelled).
        var unfinished = false
    }

    /// The stage's steps as child tasks; outcomes come back in plan order.
    func run(_ stage: Stage, cancelOnFailure: Bool) async -> [Outcome] {
        await withTaskGroup(of: (Int, Outcome).self, returning: [Outcome].self) { group in
            for (index, step) in stage.steps.enumerated() {
                group.addTask { (index, await self.run(step)) }
            }
            var outcomes: [(Int, Outcome)] = []
            for await result in group {
                outcomes.append(result)
                if cancelOnFailure && result.1.error != nil {
                    group.cancelAll()
                }
            }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Runs a step's actions in order and stops at the first failure.
    func run(_ step: Step) async -> Outcome {
        var outcome = Outcome(step: step)
        var containerID = step.containerID
        for action in step.actions {
            if Task.isCancelled {
                outcome.unfinished = true
                return outcome
            }
            do {
                switch action {
                case .create(let spec):
                    let info = try await runtime.createContainer(spec)
                    containerID = info.id
                    outcome.created.append(info.id)
                    outcome.warnings += info.warnings ?? []
                case .start(let waits):
                    for warning in try await passAll(waits) { outcome.warnings.append("\(step.object): \(warning)") }
                    try await runtime.startContainer(containerID ?? step.objectName)
                case .stop(let signal, let grace):
                    try await runtime.stopContainer(containerID ?? step.objectName, signal: signal, grace: grace)
                case .remove:
                    // Forced: a container that restarted since the stop must
                    // not keep a `down` or a recreate from finishing.
                    try await runtime.removeContainer(containerID ?? step.objectName, force: true)
                case .removeKeepingAnonymousVolumes:
                    try await runtime.removeContainer(
                        containerID ?? step.objectName, force: true, keepingAnonymousVolumes: true)
                case .createNetwork(let spec):
                    _ = try await runtime.createNetwork(spec)
                case .removeNetwork:
                    try await runtime.removeNetwork(step.objectName)
                case .createVolume(let labels):
                    _ = try await runtime.createVolume(name: step.objectName, labels: labels)
                case .removeVolume:
                    try await runtime.removeVolume(step.objectName)
                }
            } catch is CancellationError {
                outcome.unfinished = true
                return outcome
            } catch {
                outcome.unfinished = true
                outcome.error = Self.failure(error, action: action, object: step.object)
                return outcome
            }
        }
        return outcome
    }

    /// Waits for every condition at once, as docker compose does, so that
    /// each dependency that fails is reported with its own reason; returns
    /// the warnings of optional ones, throws the required ones' failures
    /// together. Once one has failed, the others get a second to say
    /// whether they fail too, then are called off (`up` must not wait for
    /// ever on a dependency it will not start against anyway).
    func passAll(_ waits: [Wait]) async throws -> [String] {
        let results = await withTaskGroup(of: (Int, Result<String?, any Error>)?.self) { group in
            for (index, wait) in waits.enumerated() {
                group.addTask {
                    do { return (index, .success(try await self.pass(wait))) } catch { return (index, .failure(error)) }
                }
            }
            var results: [(Int, Result<String?, any Error>)] = []
            var grace = false
            while let next = await group.next() {
                guard let result = next else {
                    group.cancelAll()
                    continue
                }
                results.append(result)
                if case .failure = result.1, !grace {
                    grace = true
                    group.addTask {
                        try? await Task.sleep(for: .seconds(1))
                        return nil
                    }
                }
                if results.count == waits.count { group.cancelAll() }
            }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var warnings: [String] = []
        var errors: [BerthError] = []
        var cancelled = false
        for result in results {
            switch result {
            case .success(let warning): if let warning { warnings.append(warning) }
            // Called off: after another failed (that one is the news), or with the whole step.
            case .failure(is CancellationError): cancelled = true
            case .failure(let error):
                errors.append((error as? BerthError) ?? BerthError(.dependencyFailed, Self.message(of: error)))
            }
        }
        if let error = BerthError.combined(errors) { throw error }
        if cancelled { throw CancellationError() }
        return warnings
    }

    /// Waits for one condition. A failed optional dependency is a warning,
    /// returned; a failed required one throws.
    func pass(_ wait: Wait) async throws -> String? {
        do {
            try await gate.waitUntil(service: wait.service, condition: wait.condition)
            return nil
        } catch let error where !(error is CancellationError) && !wait.required {
            return "optional dependency skipped: \(Self.message(of: error))"
        }
    }

    /// Removes what was created for every service whose step did not finish,
    /// trying each container and returning what could not be removed.
    func cleanUp(after outcomes: [Outcome]) async -> [BerthError] {
        let broken = Set(outcomes.filter(\.unfinished).compactMap(\.step.object.service))
        var errors: [BerthError] = []
        for outcome in outcomes {
            guard let service = outcome.step.object.service, broken.contains(service) else { continue }
            for id in outcome.created {
                do {
                    try await runtime.removeContainer(id, force: true)
                } catch {
                    errors.append(
                        BerthError(
                            .executionFailed,
                            "clean up after failure: remove \(outcome.step.object) (id \(id)): \(Self.message(of: error))"
                        ))
                }
            }
        }
        return errors
    }

    /// The error of a failed action, naming the operation and the object; a
    /// `BerthError` keeps its code, so a dependency failure stays one.
    static func failure(_ error: any Error, action: Action, object: Step.Object) -> BerthError {
        let verb: String
        switch action {
        case .create, .createNetwork, .createVolume: verb = "create"
        case .start: verb = "start"
        case .stop: verb = "stop"
        case .remove, .removeKeepingAnonymousVolumes, .removeNetwork, .removeVolume: verb = "remove"
        }
        guard let underlying = error as? BerthError else {
            return BerthError(.executionFailed, "\(verb) \(object): \(error)")
        }
        var wrapped = BerthError(underlying.code, "\(verb) \(object): \(underlying.message)", cause: underlying.cause)
        // Errors reported together (several dependencies that failed) each keep their words.
        wrapped.more = underlying.more.map {
            BerthError($0.code, "\(verb) \(object): \($0.message)", cause: $0.cause)
        }
        return wrapped
    }

    static func message(of error: any Error) -> String {
        (error as? BerthError)?.message ?? String(describing: error)
    }
}

extension Step {
    /// The object's name: what the runtime calls it.
    var objectName: String {
        switch object {
        case .container(let name, _), .network(let name), .volume(let name): return name
        }
    }
}
