import Supervisor
import Synchronization

/// A clock for tests: time stands still until the test moves it.
///
/// `advance(by:)` / `advance(to:)` wake every sleeper whose deadline has come,
/// earliest deadline first (ties in the order they went to sleep), so a test
/// decides exactly when each probe and each restart happens. Because the woken
/// tasks then run on their own, a test waits for the next thing it expects
/// with `waitForSleeper(at:)` (someone is now waiting for that exact time)
/// rather than with a real sleep; `advance(toSleeperAt:)` does both.
public final class FakeClock: Supervisor.Clock, Sendable {
    private let state: Mutex<State>

    /// Everything the clock knows, read and written under one lock.
    private struct State {
        var current: Timestamp
        var sleepers: [Sleeper] = []
        var watchers: [Watcher] = []
        /// Sleepers cancelled before they registered their continuation.
        var cancelledEarly: Set<Int> = []
        var nextID = 0
    }

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
        state = Mutex(State(current: now))
    }

    public var now: Timestamp { state.withLock { $0.current } }

    /// The deadlines of the tasks asleep now, earliest first.
    public var sleeperDeadlines: [Timestamp] {
        state.withLock { $0.sleepers.map(\.deadline).sorted() }
    }

    public func sleep(until deadline: Timestamp) async throws {
        let id = state.withLock {
            $0.nextID += 1
            return $0.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock {
                    if $0.cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= $0.current { return .success(()) }
                    $0.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome)
                } else {
                    notifyWatchers()
                }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { state in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    // Cancelled before the continuation was stored: tell the
                    // registration above to fail at once instead of sleeping.
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
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
        let due: [Sleeper] = state.withLock { state in
            if deadline > state.current { state.current = deadline }
            let now = state.current
            let ready = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return ready.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once some task sleeps until exactly `deadline`.
    public func waitForSleeper(at deadline: Timestamp) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let present = state.withLock { state in
                if state.sleepers.contains(where: { $0.deadline == deadline }) { return true }
                state.watchers.append(Watcher(deadline: deadline, continuation: continuation))
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
        let satisfied: [Watcher] = state.withLock { state in
            let deadlines = Set(state.sleepers.map(\.deadline))
            let ready = state.watchers.filter { deadlines.contains($0.deadline) }
            state.watchers.removeAll { deadlines.contains($0.deadline) }
            return ready
        }
        for watcher in satisfied { watcher.continuation.resume() }
    }
}
