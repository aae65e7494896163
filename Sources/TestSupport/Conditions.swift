import Glibc
import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the test or suite only as root (namespaces, mounts, crun,
    /// cgroups); for anyone else it is skipped, saying `why`.
    public static func requiresRoot(_ why: Comment, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(if: geteuid() == 0, why, sourceLocation: sourceLocation)
    }

    /// Runs the test only as a user other than root, for checks that root
    /// passes whatever the permissions say; as root it is skipped, saying `why`.
    public static func requiresNonRoot(_ why: Comment, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(if: geteuid() != 0, why, sourceLocation: sourceLocation)
    }
}

/// A failure a fixture reports in words, thrown to end a test.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String

    /// A failure that says `description`.
    public init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `seconds` pass, and says whether it
/// held: tests wait for a real state with a deadline, never a fixed sleep.
public func eventually(within seconds: Int = 5, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
