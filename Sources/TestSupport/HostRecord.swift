import Synchronization
import Testing

/// Everything the tests of one suite made on the host, for the check that
/// `.noHostLeftovers(record)` runs after the whole suite. One record per
/// suite: a record shared with a suite still running would see that
/// suite's resources as leftovers.
public final class HostRecord: Sendable {
    private let made = Mutex(HostFootprint())

    /// An empty record.
    public init() {}

    /// What the suite's tests made so far.
    public var footprint: HostFootprint { made.withLock { $0 } }

    /// Adds what a test made.
    public func record(_ footprint: HostFootprint) {
        made.withLock { $0.add(footprint) }
    }

    /// A test's names, `berth` + 4 random hex digits (at most 15 bytes with
    /// a 6-byte suffix, so each is a valid interface name) that no link
    /// begins with now and no test of this record had; recorded.
    public func freshPrefix() -> String {
        let links = HostFootprint.links()
        while true {
            let prefix = "berth" + String(UInt16.random(in: 0x1000...0xFFFF), radix: 16)
            guard !links.contains(where: { $0.hasPrefix(prefix) }) else { continue }
            let fresh = made.withLock { made in made.linkPrefixes.insert(prefix).inserted }
            if fresh { return prefix }
        }
    }
}

/// After the suite: nothing of what its tests recorded is left on the host,
/// their roots included.
public struct NoHostLeftovers: SuiteTrait, TestScoping {
    let record: HostRecord

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await function()
        let left = await record.footprint.leftovers(within: .seconds(5), rootsRemoved: true)
        #expect(left.isEmpty, "left on the host after the suite:\n\(left.joined(separator: "\n"))")
    }
}

extension Trait where Self == NoHostLeftovers {
    /// Checks, after the suite, that its tests took off the host everything `record` holds.
    public static func noHostLeftovers(_ record: HostRecord) -> Self { Self(record: record) }
}
