import Foundation

/// A point in time: nanoseconds since the Unix epoch.
///
/// The supervisor keeps wall-clock based points (not `ContinuousClock.Instant`)
/// because a restarted berthd must compare them with what the runtime reports
/// (`ContainerInfo.startedAt` is seconds since the epoch) and with what it
/// persisted before it went away.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64

    /// A point `nanoseconds` after the epoch.
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// A point from seconds since the epoch, as `ContainerInfo` gives them.
    public init(seconds: Double) {
        // Clamped so that a corrupt record cannot trap the conversion.
        guard seconds.isFinite, abs(seconds) < 9.2e9 else {
            nanoseconds = seconds < 0 ? .min : .max
            return
        }
        // Whole seconds and the fraction apart: one product would lose the
        // nanoseconds to the double's 53 bits at today's epoch values.
        let whole = seconds.rounded(.down)
        nanoseconds = Int64(whole) * 1_000_000_000 + Int64(((seconds - whole) * 1e9).rounded())
    }

    /// Seconds since the epoch.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The point `duration` later (saturating, so `.max` durations mean "never").
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.clampedNanoseconds)
        return Timestamp(nanoseconds: overflow ? (rhs > .zero ? .max : .min) : sum)
    }

    /// The time from `rhs` to `lhs`.
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        let (difference, overflow) = lhs.nanoseconds.subtractingReportingOverflow(rhs.nanoseconds)
        return .nanoseconds(overflow ? (lhs > rhs ? Int64.max : Int64.min) : difference)
    }

    public var description: String { "\(seconds)" }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `Int64`.
    public var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    /// Go's `time.Duration.String()` (`30s`, `1m30s`, `500ms`), because docker's
    /// probe messages print durations that way and users compare them.
    public var goString: String {
        let ns = clampedNanoseconds
        if ns == 0 { return "0s" }
        let sign = ns < 0 ? "-" : ""
        let magnitude = ns.magnitude
        if magnitude < 1_000 { return "\(sign)\(magnitude)ns" }
        if magnitude < 1_000_000 { return sign + Self.decimal(magnitude, unit: 1_000) + "µs" }
        if magnitude < 1_000_000_000 { return sign + Self.decimal(magnitude, unit: 1_000_000) + "ms" }
        let hours = magnitude / 3_600_000_000_000
        let minutes = magnitude / 60_000_000_000 % 60
        let seconds = Self.decimal(magnitude % 60_000_000_000, unit: 1_000_000_000) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(seconds)" }
        return sign + seconds
    }

    /// `value / unit` with the fraction's trailing zeros dropped (`1.5`, `2`).
    private static func decimal(_ value: UInt64, unit: UInt64) -> String {
        let whole = value / unit
        var fraction = value % unit
        guard fraction > 0 else { return "\(whole)" }
        var width = String(unit).count - 1
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// The supervisor's only view of time: what it is now, and a way to wait.
///
/// A protocol so that backoff and probe timing run under `FakeClock` in tests
/// without sleeping. Note that inside a file importing `Supervisor` the name
/// shadows the standard library's `Clock`; spell that one `Swift.Clock`.
public protocol Clock: Sendable {
    /// The current time.
    var now: Timestamp { get }
    /// Returns at or after `deadline`; throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Timestamp) async throws
}

/// The real clock: wall-clock anchored, but advancing with `ContinuousClock`.
///
/// Reading the wall clock once and then counting with `ContinuousClock` keeps
/// backoff and probe intervals immune to NTP steps and `date -s`, and
/// `ContinuousClock` keeps counting through a suspend, as docker's timers do.
public struct SystemClock: Clock {
    private let originInstant: ContinuousClock.Instant
    private let originTime: Timestamp

    /// A clock anchored at the wall-clock time of now.
    public init() {
        originInstant = ContinuousClock.now
        originTime = Timestamp(seconds: Date().timeIntervalSince1970)
    }

    public var now: Timestamp { originTime + (ContinuousClock.now - originInstant) }

    public func sleep(until deadline: Timestamp) async throws {
        try await ContinuousClock().sleep(until: originInstant + (deadline - originTime), tolerance: nil)
    }
}
