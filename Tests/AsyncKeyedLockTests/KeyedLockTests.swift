import Synchronization
import Testing

@testable import AsyncKeyedLock

/// The lock's promises: one holder per key, first come first served, a
/// cancelled waiter gone for good, and the key let go however the body ends.
@Suite(.timeLimit(.minutes(1)))
struct KeyedLockTests {
    struct Boom: Error {}

    /// What the bodies did, in order.
    final class Log: Sendable {
        private let entries = Mutex<[String]>([])
        func append(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    /// Returns once `count` tasks wait for `key` (they queue asynchronously).
    func waitUntil(_ lock: KeyedLock<String>, has count: Int, waitingFor key: String) async {
        while lock.waiterCount(key) < count { await Task.yield() }
    }

    @Test func waitersTakeTheKeyInArrivalOrder() async throws {
        let lock = KeyedLock<String>()
        let order = Log()
        try await lock.lock("db")
        var tasks: [Task<Void, any Error>] = []
        for number in 1...5 {
            tasks.append(Task { try await lock.withLock("db") { order.append("\(number)") } })
            await waitUntil(lock, has: number, waitingFor: "db")
        }
        lock.unlock("db")
        for task in tasks { try await task.value }
        #expect(order.all == ["1", "2", "3", "4", "5"])
    }

    @Test func differentKeysDoNotWaitForEachOther() async throws {
        let lock = KeyedLock<String>()
        try await lock.lock("db")
        let ran = try await lock.withLock("web") { true }
        #expect(ran)
        lock.unlock("db")
    }

    @Test func aCancelledWaiterLeavesTheQueueAndNeverTakesTheKey() async throws {
        let lock = KeyedLock<String>()
        let ran = Log()
        try await lock.lock("db")
        let cancelled = Task { try await lock.withLock("db") { ran.append("cancelled") } }
        await waitUntil(lock, has: 1, waitingFor: "db")
        let next = Task { try await lock.withLock("db") { ran.append("next") } }
        await waitUntil(lock, has: 2, waitingFor: "db")

        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(lock.waiterCount("db") == 1)

        lock.unlock("db")
        try await next.value
        #expect(ran.all == ["next"])
        // The key is free again: nobody was left holding it.
        #expect(try await lock.withLock("db") { true })
    }

    @Test func aTaskCancelledBeforeItWaitsDoesNotQueue() async throws {
        let lock = KeyedLock<String>()
        try await lock.lock("db")
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await lock.lock("db")
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(lock.waiterCount("db") == 0)
        lock.unlock("db")
    }

    @Test func aCancelledTaskStillTakesAFreeKey() async throws {
        let lock = KeyedLock<String>()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await lock.withLock("db") { "cleaned up" }
        }
        #expect(try await task.value == "cleaned up")
    }

    @Test func aBodyThatThrowsLetsGoOfTheKey() async throws {
        let lock = KeyedLock<String>()
        await #expect(throws: Boom.self) {
            try await lock.withLock("db") { throw Boom() }
        }
        #expect(try await lock.withLock("db") { true })
    }

    @Test func theKeyPassesToAWaiterWhenTheHolderThrows() async throws {
        let lock = KeyedLock<String>()
        try await lock.lock("db")
        let first = Task { try await lock.withLock("db") { throw Boom() } }
        await waitUntil(lock, has: 1, waitingFor: "db")
        let second = Task { try await lock.withLock("db") { "second" } }
        await waitUntil(lock, has: 2, waitingFor: "db")
        lock.unlock("db")
        await #expect(throws: Boom.self) { try await first.value }
        #expect(try await second.value == "second")
    }

    /// An actor's state stays its own inside the body: the body runs in the
    /// caller's isolation, so it may touch it without `await`.
    @Test func theBodyRunsInTheCallersIsolation() async throws {
        actor Counter {
            let lock = KeyedLock<String>()
            var value = 0
            func increment() async throws -> Int {
                try await lock.withLock("n") {
                    value += 1
                    await Task.yield()
                    return value
                }
            }
        }
        let counter = Counter()
        async let a = counter.increment()
        async let b = counter.increment()
        #expect(try await [a, b].sorted() == [1, 2])
    }
}
