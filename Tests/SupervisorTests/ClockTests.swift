import Supervisor
import TestSupport
import Testing

/// Time as the supervisor reads it: timestamps, the real clock, and the fake one
/// that wakes exactly the sleepers that are due, and only when told.
@Suite("Clock", .timeLimit(.minutes(1)))
struct ClockTests {
    /// Records the order in which sleepers woke.
    actor Wakes {
        var order: [String] = []
        func add(_ name: String) { order.append(name) }
    }

    @Test func advanceWakesTheDueSleepersEarliestFirst() async throws {
        let clock = FakeClock()
        let start = clock.now
        let wakes = Wakes()
        var tasks: [Task<Void, any Error>] = []
        for (name, seconds) in [("late", 3), ("early", 1), ("middle", 2)] {
            tasks.append(
                Task {
                    try await clock.sleep(until: start + .seconds(seconds))
                    await wakes.add(name)
                })
            await clock.waitForSleeper(at: start + .seconds(seconds))
        }
        #expect(clock.sleeperDeadlines == [start + .seconds(1), start + .seconds(2), start + .seconds(3)])
        clock.advance(by: .seconds(1))
        try await tasks[1].value
        #expect(await wakes.order == ["early"])
        #expect(clock.sleeperDeadlines.count == 2)
        await clock.advance(toSleeperAt: start + .seconds(3))
        try await tasks[0].value
        try await tasks[2].value
        #expect(Set(await wakes.order) == ["early", "middle", "late"])
        #expect(clock.now == start + .seconds(3))
    }

    @Test func aPastDeadlineReturnsAtOnceAndTimeNeverGoesBack() async throws {
        let clock = FakeClock()
        let start = clock.now
        try await clock.sleep(until: start)
        clock.advance(to: start - .seconds(5))
        #expect(clock.now == start)
    }

    @Test func cancellingASleeperRemovesIt() async {
        let clock = FakeClock()
        let deadline = clock.now + .seconds(10)
        let task = Task { try await clock.sleep(until: deadline) }
        await clock.waitForSleeper(at: deadline)
        task.cancel()
        let outcome = await task.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(clock.sleeperDeadlines.isEmpty)
    }

    @Test func aSleeperThatComesLateForItsTimeIsNotKeptWaiting() async throws {
        let clock = FakeClock()
        let start = clock.now
        clock.advance(by: .seconds(5))
        // The deadline passed before the task went to sleep: it returns at once.
        try await clock.sleep(until: start + .seconds(3))
        let task = Task { try await clock.sleep(until: start + .seconds(8)) }
        await clock.waitForSleeper(at: start + .seconds(8))
        // Waiting for a sleeper that is already there returns at once, too.
        await clock.waitForSleeper(at: start + .seconds(8))
        clock.advance(by: .seconds(3))
        try await task.value
        #expect(clock.sleeperDeadlines.isEmpty)
    }

    @Test func timestampsSaturateInsteadOfTrapping() {
        let t = Timestamp(seconds: 1_700_000_000.25)
        #expect(t.nanoseconds == 1_700_000_000_250_000_000)
        #expect(t + .seconds(1) - t == .seconds(1))
        #expect((t + .seconds(Int64.max)).nanoseconds == .max)
        #expect(Timestamp(nanoseconds: .max) - Timestamp(nanoseconds: .min) == .nanoseconds(Int64.max))
        #expect(Timestamp(seconds: 1e30).nanoseconds == .max)
        #expect(Timestamp(seconds: -.infinity).nanoseconds == .min)
        #expect(Duration.seconds(Int64.max).clampedNanoseconds == .max)
    }

    @Test func theSystemClockReadsTheWallClockAndDoesNotSleepForThePast() async throws {
        let clock = SystemClock()
        let before = clock.now
        // Seconds since the epoch of a machine running this test: after 2020.
        #expect(before > Timestamp(seconds: 1_577_836_800))
        try await clock.sleep(until: before - .seconds(1))
        #expect(clock.now >= before)
    }

    @Test func durationsPrintAsGoPrintsThem() {
        #expect(Duration.seconds(30).goString == "30s")
        #expect(Duration.seconds(90).goString == "1m30s")
        #expect(Duration.seconds(3600).goString == "1h0m0s")
        #expect(Duration.milliseconds(1_500).goString == "1.5s")
        #expect(Duration.milliseconds(250).goString == "250ms")
        #expect(Duration.microseconds(1_500).goString == "1.5ms")
        #expect(Duration.zero.goString == "0s")
    }
}
