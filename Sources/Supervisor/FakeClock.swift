import Foundation

/// A clock for tests: time stands still until the test moves it.
///
/// `advance(by:)` / `advance(to:)` wake every sleeper whose deadline has come,
/// earliest deadline first (ties in the order they went to sleep), so a test
/// decides exactly when each probe and each restart happens. Because the woken
/// tasks then run on their own, a test waits for the next thing it expects
/// with `waitForSleeper(at:)` (someone is now waiting for that exact time)
/// rather than with a real sleep; `advance(toSleeperAt:)` does both.
public final class FakeClock: Clock, @unchecked Sendable {
    // NSLock rather than Synchronization.Mutex: the package still declares macOS 14.
    // Every stored property below is read and written with `lock` held.
    private let lock = NSLock()
    private var current: Timestamp
    private var sleepers: [Sleeper] = []
    private var watchers: [Watcher] = []
    /// Sleepers cancelled before they registered their continuation.
    private var cancelledEarly: Set<Int> = []
    private var nextID = 0

    private struct Sleeper {
        var id: Int
        var deadline: Timestamp
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        var deadline: Timestamp
        var continuation: CheckedContinuation<Void, Never>
    }

    /// A clock that reads `now` until it is advanced.
    public init(now: Timestamp = Timestamp(seconds: 1_000_000)) {
        current = now
    }

    public var now: Timestamp { lock.withLock { current } }

    /// The deadlines of the tasks asleep now, earliest first.
    public var sleeperDeadlines: [Timestamp] {
        lock.withLock { sleepers.map(\.deadline).sorted() }
    }

    public func sleep(until deadline: Timestamp) async throws {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = lock.withLock {
                    if cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= current { return .success(()) }
                    sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome)
                } else {
                    notifyWatchers()
                }
            }
        } onCancel: {
            let sleeper: Sleeper? = lock.withLock {
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else {
                    // Cancelled before the continuation was stored: tell the
                    // registration above to fail at once instead of sleeping.
                    cancelledEarly.insert(id)
                    return nil
                }
                return sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes the sleepers that are due.
    public func advance(by duration: Duration) {
        advance(to: now + duration)
    }

    /// Moves time to `deadline` (never backwards) and wakes the sleepers that are due.
    public func advance(to deadline: Timestamp) {
        let due: [Sleeper] = lock.withLock {
            if deadline > current { current = deadline }
            let ready = sleepers.filter { $0.deadline <= current }
            sleepers.removeAll { $0.deadline <= current }
            return ready.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once some task sleeps until exactly `deadline`.
    public func waitForSleeper(at deadline: Timestamp) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let present = lock.withLock {
                if sleepers.contains(where: { $0.deadline == deadline }) { return true }
                watchers.append(Watcher(deadline: deadline, continuation: continuation))
                return false
            }
            if present { continuation.resume() }
        }
    }

    /// Waits until some task sleeps until `deadline`, then moves time there.
    public func advance(toSleeperAt deadline: Timestamp) async {
        await waitForSleeper(at: deadline)
        advance(to: deadline)
    }

    /// Resumes the watchers whose deadline now has a sleeper.
    private func notifyWatchers() {
        let satisfied: [Watcher] = lock.withLock {
            let deadlines = Set(sleepers.map(\.deadline))
            let ready = watchers.filter { deadlines.contains($0.deadline) }
            watchers.removeAll { deadlines.contains($0.deadline) }
            return ready
        }
        for watcher in satisfied { watcher.continuation.resume() }
    }
}
