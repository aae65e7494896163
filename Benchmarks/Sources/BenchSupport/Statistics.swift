/// The figures a bench prints of a set of samples.
public struct Summary: Sendable {
    public let median: Double
    /// The sample 90% of the others are at or below.
    public let p90: Double
    public let minimum: Double
    public let maximum: Double

    /// The summary of `samples`; all zero when there are none.
    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        guard let first = sorted.first, let last = sorted.last else {
            (median, p90, minimum, maximum) = (0, 0, 0, 0)
            return
        }
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        p90 = sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
        (minimum, maximum) = (first, last)
    }
}

/// The median of `samples` (the mean of the middle two when their number is even).
public func median(_ samples: [Double]) -> Double { Summary(samples).median }

/// A duration in milliseconds.
public func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

/// A duration in seconds.
public func seconds(_ duration: Duration) -> Double { milliseconds(duration) / 1e3 }

/// How long `body` took, in milliseconds.
public func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return milliseconds(ContinuousClock.now - start)
}

/// `value` with two decimals: `12.50`.
public func format(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = abs(hundredths % 100)
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
