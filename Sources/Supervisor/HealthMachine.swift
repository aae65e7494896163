import BerthModel

/// docker's health states.
public enum HealthStatus: String, Sendable, Hashable, Codable {
    case starting, healthy, unhealthy
}

/// A healthcheck with docker's defaults filled in: a zero or missing value
/// means the default, as in docker's `timeoutWithDefault`.
public struct HealthConfig: Sendable, Hashable, Codable {
    public var interval: Duration
    public var timeout: Duration
    public var startPeriod: Duration
    public var startInterval: Duration
    public var retries: Int

    /// docker's defaults: 30 s, 30 s, no start period, 5 s, 3 retries.
    public init(
        interval: Duration = .seconds(30), timeout: Duration = .seconds(30), startPeriod: Duration = .zero,
        startInterval: Duration = .seconds(5), retries: Int = 3
    ) {
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.retries = retries
    }

    /// The durations of a compose healthcheck (nanoseconds) with defaults for zero or nil.
    public init(_ healthcheck: Healthcheck) {
        func duration(_ value: Int64?, _ fallback: Duration) -> Duration {
            guard let value, value > 0 else { return fallback }
            return .nanoseconds(value)
        }
        self.init(
            interval: duration(healthcheck.interval, .seconds(30)),
            timeout: duration(healthcheck.timeout, .seconds(30)),
            startPeriod: duration(healthcheck.startPeriod, .zero),
            startInterval: duration(healthcheck.startInterval, .seconds(5)),
            retries: healthcheck.retries.flatMap { $0 > 0 ? $0 : nil } ?? 3)
    }
}

/// One probe run, as `docker inspect` shows it under `State.Health.Log`.
public struct ProbeResult: Sendable, Hashable, Codable {
    public var start: Timestamp
    public var end: Timestamp
    /// 0 healthy; anything else, including docker's -1 for "could not run" or "timed out", a failure.
    public var exitCode: Int32
    public var output: String

    /// A result; `output` is cut to docker's 4 KiB.
    public init(start: Timestamp, end: Timestamp, exitCode: Int32, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = ProbeResult.truncated(output)
    }

    /// docker keeps the first 4096 bytes of a probe's output and appends `...`
    /// when it dropped some; the cut here falls on a character boundary.
    public static func truncated(_ output: String, limit: Int = 4096) -> String {
        guard output.utf8.count > limit else { return output }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in output.unicodeScalars {
            let size = String(scalar).utf8.count
            if bytes + size > limit { break }
            kept.append(scalar)
            bytes += size
        }
        return String(kept) + "..."
    }
}

/// What happens to a container, as far as its health is concerned.
public enum HealthEvent: Sendable, Hashable {
    /// The container (re)started at that time: health resets to `starting`.
    case started(at: Timestamp)
    /// berthd came back and found the container running since `startedAt`:
    /// health resets to `starting` (docker does the same on restore) and the
    /// first probe is timed from `now`, not from the original start.
    case adopted(startedAt: Timestamp, now: Timestamp)
    /// The probe the machine asked for finished.
    case probeFinished(ProbeResult)
    /// Time passed; a probe still running past its timeout fails now.
    case tick(now: Timestamp)
    /// The container stopped: no more probes until it starts again.
    case stopped
}

/// What the driver must do.
public enum HealthDecision: Sendable, Hashable {
    /// Run one probe at that time and report it with `.probeFinished`
    /// (and send `.tick` at `at + timeout` if it has not finished by then).
    case runProbe(at: Timestamp)
    case becameHealthy
    case becameUnhealthy
}

/// docker's healthcheck state machine, pure: events in, decisions out, no I/O.
///
/// Timing follows docker's `monitor` (`daemon/health.go`, Engine 25+): the
/// delay before each probe, the first included, is `start_interval` while the
/// container is `starting` and still inside `start_period`, and `interval`
/// otherwise. It is counted from the end of the previous probe, not its start.
/// So with no `start_period` (the default) the first probe comes `interval`
/// after start, exactly as docker does.
public struct HealthMachine: Sendable, Hashable, Codable {
    /// Where the probing loop is.
    public enum Phase: Sendable, Hashable, Codable {
        /// Not running: no probe is due.
        case stopped
        /// The next probe runs at `at`; its result must not have started earlier.
        case probeDue(at: Timestamp)
    }

    /// docker keeps the last five results.
    public static let logLimit = 5

    public let config: HealthConfig
    public private(set) var status: HealthStatus = .starting
    public private(set) var phase: Phase = .stopped
    /// Consecutive failures that counted (failures in the start period do not).
    public private(set) var failingStreak = 0
    /// The last five results, oldest first.
    public private(set) var log: [ProbeResult] = []
    /// When the container last started; the start period counts from here.
    public private(set) var startedAt: Timestamp?

    /// A machine for a container that has not started yet.
    public init(config: HealthConfig, log: [ProbeResult] = []) {
        self.config = config
        self.log = Array(log.suffix(Self.logLimit))
    }

    /// The output of the newest result, for the restart's reason.
    public var lastOutput: String { log.last?.output ?? "" }

    /// Applies one event; the transitions are all here.
    public mutating func handle(_ event: HealthEvent) -> [HealthDecision] {
        switch event {
        case .started(let at):
            return start(startedAt: at, now: at)
        case .adopted(let startedAt, let now):
            return start(startedAt: startedAt, now: now)
        case .stopped:
            phase = .stopped
            return []
        case .probeFinished(let result):
            // A result that began before the probe we wait for belongs to an
            // earlier run (a timed-out probe that came back late, or one from
            // before a restart): docker would have discarded it too.
            guard case .probeDue(let due) = phase, result.start >= due else { return [] }
            let duration = result.end - result.start
            guard duration < config.timeout else {
                return record(timedOut(start: result.start, end: result.end, output: result.output))
            }
            return record(result)
        case .tick(let now):
            guard case .probeDue(let due) = phase, now >= due + config.timeout else { return [] }
            return record(timedOut(start: due, end: now, output: ""))
        }
    }

    private mutating func start(startedAt: Timestamp, now: Timestamp) -> [HealthDecision] {
        // docker's initHealthMonitor: back to starting with a clean streak; the log stays.
        self.startedAt = startedAt
        status = .starting
        failingStreak = 0
        let due = now + delay(at: now)
        phase = .probeDue(at: due)
        return [.runProbe(at: due)]
    }

    /// docker's `getInterval`, asked after each probe with the status it left.
    private func delay(at now: Timestamp) -> Duration {
        guard let startedAt, now - startedAt < config.startPeriod, status == .starting else { return config.interval }
        return config.startInterval
    }

    /// docker's message for a probe that ran out of time, with whatever it printed.
    private func timedOut(start: Timestamp, end: Timestamp, output: String) -> ProbeResult {
        let message = "Health check exceeded timeout (\(config.timeout.goString))"
        return ProbeResult(
            start: start, end: end, exitCode: -1, output: output.isEmpty ? message : "\(message): \(output)")
    }

    /// docker's `handleProbeResult`, then the next probe.
    private mutating func record(_ result: ProbeResult) -> [HealthDecision] {
        log.append(result)
        if log.count > Self.logLimit { log.removeFirst(log.count - Self.logLimit) }
        let before = status
        if result.exitCode == 0 {
            failingStreak = 0
            status = .healthy
        } else if !(status == .starting && inStartPeriod(result.start)) {
            failingStreak += 1
            if failingStreak >= config.retries { status = .unhealthy }
        }
        var decisions: [HealthDecision] = []
        if status != before {
            if status == .healthy { decisions.append(.becameHealthy) }
            if status == .unhealthy { decisions.append(.becameUnhealthy) }
        }
        let due = result.end + delay(at: result.end)
        phase = .probeDue(at: due)
        decisions.append(.runProbe(at: due))
        return decisions
    }

    /// docker measures the start period against the probe's start, not its end.
    private func inStartPeriod(_ probeStart: Timestamp) -> Bool {
        guard let startedAt else { return false }
        return probeStart - startedAt < config.startPeriod
    }
}
