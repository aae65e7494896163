import Synchronization

/// One holder per key at a time, across awaits: what an actor alone does not
/// give, since an actor lets another call in whenever the running one
/// awaits. `LinuxRuntime` holds one key per container, so a `start` and a
/// `remove` of one container never interleave while different containers'
/// calls run in parallel; berthd holds one per project.
///
/// Waiters for a key take it in arrival order, and the key passes straight
/// from the holder to the next waiter, so no late arrival can overtake them.
/// A waiter whose task is cancelled leaves the queue at once and throws
/// `CancellationError`: it never takes the key later. A free key is taken
/// even by a cancelled task, so cleanup that runs under cancellation is not
/// refused a lock nobody holds.
///
/// Safe from any thread: the state is behind a `Mutex`, and the calls run in
/// their caller's isolation (no hop off an actor to take a free key).
public final class KeyedLock<Key: Hashable & Sendable>: Sendable {
    private struct Waiter: Sendable {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var held: Set<Key> = []
        /// Waiters per held key, first come first.
        var queues: [Key: [Waiter]] = [:]
        var nextID: UInt64 = 0

        /// Takes `key` if it is free; otherwise a ticket for the queue.
        mutating func take(_ key: Key) -> UInt64? {
            if held.insert(key).inserted { return nil }
            nextID &+= 1
            return nextID
        }

        /// Takes the waiter `id` out of `key`'s queue, if it is still there.
        mutating func dequeue(_ id: UInt64, of key: Key) -> Waiter? {
            guard var queue = queues[key], let index = queue.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = queue.remove(at: index)
            queues[key] = queue.isEmpty ? nil : queue
            return waiter
        }
    }

    private enum Outcome { case taken, queued, cancelled }

    private let state = Mutex(State())

    /// A lock with every key free.
    public init() {}

    /// Runs `body` holding `key`, and lets go of it however `body` ends.
    /// Throws `CancellationError` when the task is cancelled while it waits
    /// (then `body` does not run), else what `body` throws.
    public func withLock<T>(
        _ key: Key, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async throws -> T {
        try await lock(key)
        defer { unlock(key) }
        return try await body()
    }

    /// Waits until `key` is this caller's. Every `lock` that returns must be
    /// followed by one `unlock(key)`; prefer `withLock`.
    public func lock(_ key: Key, isolation: isolated (any Actor)? = #isolation) async throws(CancellationError) {
        guard let id = state.withLock({ $0.take(key) }) else { return }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    // Under the mutex the key may have come free since the
                    // first look, and the cancellation flag is read where the
                    // handler below cannot run in between.
                    let outcome = state.withLock { state -> Outcome in
                        if state.held.insert(key).inserted { return .taken }
                        if Task.isCancelled { return .cancelled }
                        state.queues[key, default: []].append(Waiter(id: id, continuation: continuation))
                        return .queued
                    }
                    switch outcome {
                    case .taken: continuation.resume()
                    case .cancelled: continuation.resume(throwing: CancellationError())
                    case .queued: break
                    }
                }
            } onCancel: {
                // Nil when `unlock` has handed the key over already: then the
                // waiter holds it and must let go of it as any holder does.
                state.withLock { $0.dequeue(id, of: key) }?.continuation.resume(throwing: CancellationError())
            }
        } catch {
            throw CancellationError()
        }
    }

    /// Hands `key` to the next waiter, or frees it when nobody waits.
    public func unlock(_ key: Key) {
        let next = state.withLock { state -> Waiter? in
            guard let next = state.queues[key]?.first else {
                state.held.remove(key)
                return nil
            }
            return state.dequeue(next.id, of: key)
        }
        next?.continuation.resume()
    }

    /// How many wait for `key` now; for tests that need a waiter queued.
    func waiterCount(_ key: Key) -> Int {
        state.withLock { $0.queues[key]?.count ?? 0 }
    }
}
