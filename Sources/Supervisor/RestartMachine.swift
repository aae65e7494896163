import BerthModel

/// Why the supervisor restarts a container; it goes into the event log.
public enum RestartReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The main process exited with this code.
    case exited(code: Int32)
    /// The healthcheck turned unhealthy; the last probe's output says why.
    case unhealthy(lastOutput: String)
    /// A `depends_on` with `restart: true` names this service, which the supervisor restarted.
    case dependencyRestarted(service: String)
    /// The supervisor's last start of it failed (a full disk, a crun killed mid-start).
    case startFailed(message: String)

    /// Exits and unhealthy turns count toward the restart count and the backoff;
    /// restarting a dependent is a consequence, not a failure of its own.
    public var isFailure: Bool {
        if case .dependencyRestarted = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with code \(code)"
        case .unhealthy: return "unhealthy"
        case .dependencyRestarted(let service): return "dependency \(service) restarted"
        case .startFailed: return "start failed"
        }
    }
}

/// What happens to a container, as far as its restart policy is concerned.
public enum RestartEvent: Sendable, Hashable {
    /// The supervisor started the container to carry out the restart it decided.
    case started(at: Timestamp)
    /// Someone else started it (`berth start`, `berth up`): like `docker start`,
    /// this resets the restart count and the backoff and forgets a user's stop.
    case startedElsewhere(at: Timestamp)
    /// The supervisor's start failed (a full disk, a crun killed mid-start):
    /// tried again under the policy, with the backoff, as a failed run.
    case startFailed(message: String, at: Timestamp)
    case exited(code: Int32, at: Timestamp)
    case becameUnhealthy(lastOutput: String, at: Timestamp)
    /// A service this one depends on with `restart: true` is back after a restart.
    case dependencyRestarted(service: String, at: Timestamp)
    /// The user stopped it (`berth stop`, `berth down`): it stays down.
    case stoppedByUser
    /// berthd came back and found the container running since then.
    case adoptedRunning(since: Timestamp)
    /// berthd came back at `now` and found the container exited; `ranFor` is
    /// finished − started when the runtime knows both.
    case adoptedExited(code: Int32, ranFor: Duration?, now: Timestamp)
}

/// What the driver must do.
public enum RestartDecision: Sendable, Hashable {
    /// Stop the container if it still runs (its stop signal, then SIGKILL after
    /// its grace period), and start it `after` from the moment of the decision.
    case restart(reason: RestartReason, after: Duration)
}

/// docker's restart manager (`restartmanager.go`) plus Berth's restart on
/// unhealthy, pure: events in, decisions out, no I/O.
///
/// Backoff as docker: the first restart waits 100 ms, each further one twice
/// the previous, at most one minute; a container that ran ten seconds or more
/// before it failed starts again from 100 ms.
public struct RestartMachine: Sendable, Hashable, Codable {
    /// The lifecycle as the policy sees it.
    public enum State: Sendable, Hashable, Codable {
        /// Never started (or not seen running yet).
        case created
        case running(since: Timestamp)
        /// Down (or about to be stopped) and due to start at `at`.
        case restarting(reason: RestartReason, at: Timestamp)
        /// Exited and left down by the policy (`no`, exit 0 under `on-failure`, retries used up).
        case exited(code: Int32)
        /// Stopped by the user; only `always` brings it back, and only after a berthd restart.
        case stoppedByUser
        /// The supervisor's own start failed.
        case startFailed(message: String)
    }

    public static let initialBackoff: Duration = .milliseconds(100)
    public static let maximumBackoff: Duration = .seconds(60)
    /// Running this long before failing resets the backoff.
    public static let resetAfter: Duration = .seconds(10)

    public var policy: RestartPolicy
    /// `x-berth: {restart_on_unhealthy: false}` turns this off.
    public var restartOnUnhealthy: Bool
    public private(set) var state: State = .created
    /// Restarts the supervisor carried out for failures (exits, unhealthy).
    public private(set) var restartCount = 0
    public private(set) var lastExitCode: Int32?
    /// docker's `rm.timeout`: the delay given to the last restart; nil after a reset.
    public private(set) var backoff: Duration?

    /// A machine for a container that has not started yet.
    public init(policy: RestartPolicy, restartOnUnhealthy: Bool = true) {
        self.policy = policy
        self.restartOnUnhealthy = restartOnUnhealthy
    }

    /// Applies one event; the transitions are all here.
    public mutating func handle(_ event: RestartEvent) -> RestartDecision? {
        switch event {
        case .started(let at):
            if case .restarting(let reason, _) = state, reason.isFailure { restartCount += 1 }
            state = .running(since: at)
        case .startedElsewhere(let at):
            restartCount = 0
            backoff = nil
            state = .running(since: at)
        case .startFailed(let message, let at):
            guard case .restarting(let previous, _) = state else {
                state = .startFailed(message: message)
                return nil
            }
            // An attempt all the same: it counts toward on-failure's maximum.
            if previous.isFailure { restartCount += 1 }
            let delay = updateBackoff(ranFor: .zero)
            guard policy != .no, shouldRestart(failed: true, manuallyStopped: false) else {
                state = .startFailed(message: message)
                return nil
            }
            let reason = RestartReason.startFailed(message: message)
            state = .restarting(reason: reason, at: at + delay)
            return .restart(reason: reason, after: delay)
        case .exited(let code, let at):
            lastExitCode = code
            // Only an exit of a running container is news: in any other state it
            // is the echo of a stop (ours for a restart, or the user's).
            guard case .running(let since) = state else { return nil }
            return fail(.exited(code: code), ranFor: at - since, at: at)
        case .becameUnhealthy(let output, let at):
            guard case .running(let since) = state, policy != .no, restartOnUnhealthy else { return nil }
            return fail(.unhealthy(lastOutput: output), ranFor: at - since, at: at)
        case .dependencyRestarted(let service, let at):
            guard case .running = state else { return nil }
            let reason = RestartReason.dependencyRestarted(service: service)
            state = .restarting(reason: reason, at: at)
            return .restart(reason: reason, after: .zero)
        case .stoppedByUser:
            state = .stoppedByUser
        case .adoptedRunning(let since):
            state = .running(since: since)
        case .adoptedExited(let code, let ranFor, let now):
            return adoptExited(code: code, ranFor: ranFor, now: now)
        }
        return nil
    }

    /// docker's restore: a container found exited while berthd was away gets
    /// its policy applied now, and starts at once rather than after a backoff.
    private mutating func adoptExited(code: Int32, ranFor: Duration?, now: Timestamp) -> RestartDecision? {
        lastExitCode = code
        switch state {
        case .restarting(let reason, _):
            // berthd went away during a backoff: the restart was already decided.
            state = .restarting(reason: reason, at: now)
            return .restart(reason: reason, after: .zero)
        case .created:
            return nil
        case .running, .exited, .stoppedByUser, .startFailed:
            let manuallyStopped = state == .stoppedByUser
            let reason = RestartReason.exited(code: code)
            updateBackoff(ranFor: ranFor ?? .zero)
            guard shouldRestart(failed: code != 0, manuallyStopped: manuallyStopped) else {
                if !manuallyStopped { state = .exited(code: code) }
                return nil
            }
            state = .restarting(reason: reason, at: now)
            return .restart(reason: reason, after: .zero)
        }
    }

    /// An exit or an unhealthy turn of a running container.
    private mutating func fail(_ reason: RestartReason, ranFor: Duration, at: Timestamp) -> RestartDecision? {
        if policy == .no {
            if case .exited(let code) = reason { state = .exited(code: code) }
            return nil
        }
        // docker moves the backoff before it looks at the policy.
        let delay = updateBackoff(ranFor: ranFor)
        var failed = true
        if case .exited(let code) = reason { failed = code != 0 }
        guard shouldRestart(failed: failed, manuallyStopped: false) else {
            // An unhealthy container that may not restart keeps running.
            if case .exited(let code) = reason { state = .exited(code: code) }
            return nil
        }
        state = .restarting(reason: reason, at: at + delay)
        return .restart(reason: reason, after: delay)
    }

    /// docker's ShouldRestart, by policy. `on-failure` never restarts a
    /// container the user stopped (docker would, after a daemon restart, if
    /// the stop left a non-zero code; Berth honours the stop).
    private func shouldRestart(failed: Bool, manuallyStopped: Bool) -> Bool {
        switch policy {
        case .no: return false
        case .always: return true
        case .unlessStopped: return !manuallyStopped
        case .onFailure(let maxRetries):
            // docker: a maximum of 0 means no maximum.
            let withinLimit = maxRetries.map { $0 <= 0 || restartCount < $0 } ?? true
            return failed && !manuallyStopped && withinLimit
        }
    }

    /// 100 ms, doubling, capped at a minute; reset after ten seconds of running.
    @discardableResult
    private mutating func updateBackoff(ranFor: Duration) -> Duration {
        if ranFor >= Self.resetAfter { backoff = nil }
        let next: Duration
        if let backoff {
            next = backoff < Self.maximumBackoff ? min(backoff * 2, Self.maximumBackoff) : Self.maximumBackoff
        } else {
            next = Self.initialBackoff
        }
        backoff = next
        return next
    }
}
