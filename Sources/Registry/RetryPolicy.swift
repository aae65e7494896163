import Foundation

/// When a request that failed for a passing reason (a 5xx, a 429, a dropped
/// connection, no answer in time) is tried again, and how long to wait first.
///
/// The delay doubles from `initialDelay` up to `maximumDelay`, with up to a
/// quarter taken off at random so that parallel pulls do not retry in step;
/// a 429's `Retry-After` is honoured instead, up to `maximumRetryAfter`.
public struct RetryPolicy: Sendable, Hashable {
    /// Tries in all, the first included; 1 means no retry.
    public var attempts: Int
    /// The wait before the first retry.
    public var initialDelay: Duration
    /// The longest wait between two tries.
    public var maximumDelay: Duration
    /// The longest `Retry-After` obeyed; a registry asking for more is failed with its answer.
    public var maximumRetryAfter: Duration

    /// A policy; the defaults retry 5 times over about 6 seconds.
    public init(
        attempts: Int = 6, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(3),
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The wait before try `attempt + 1`, after try `attempt` (1-based) failed;
    /// `jitter` in 0...1 takes up to a quarter off.
    public func delay(after attempt: Int, jitter: Double = Double.random(in: 0...1)) -> Duration {
        let doublings = min(max(attempt - 1, 0), 30)
        let full = min(initialDelay * (1 << doublings), maximumDelay)
        let (seconds, attoseconds) = full.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let off = Int64((Double(nanoseconds) * min(max(jitter, 0), 1) / 4).rounded())
        return .nanoseconds(nanoseconds - off)
    }

    /// The wait a `Retry-After` value asks for: delta-seconds or an
    /// HTTP-date (RFC 9110), measured from `now`; nil when it is neither.
    public static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return .seconds(seconds) }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let seconds = max(0, date.timeIntervalSince(now))
                return .milliseconds(Int64((seconds * 1000).rounded(.up)))
            }
        }
        return nil
    }
}
