import BerthModel
import Supervisor
import Testing

/// The restart machine against docker's restart manager, plus restart on unhealthy.
@Suite("RestartMachine")
struct RestartMachineTests {
    let t0 = Timestamp(seconds: 5_000)

    /// A machine whose container runs since `t0`.
    func running(_ policy: RestartPolicy, restartOnUnhealthy: Bool = true) -> RestartMachine {
        var machine = RestartMachine(policy: policy, restartOnUnhealthy: restartOnUnhealthy)
        _ = machine.handle(.startedElsewhere(at: t0))
        return machine
    }

    @Test func backoffDoublesFrom100msAndStopsAtAMinute() {
        var machine = running(.always)
        var time = t0
        var delays: [Duration] = []
        for _ in 0..<12 {
            time = time + .seconds(1)
            guard case .restart(_, let after) = machine.handle(.exited(code: 1, at: time)) else {
                Issue.record("an always container must restart")
                return
            }
            delays.append(after)
            time = time + after
            _ = machine.handle(.started(at: time))
        }
        let expected: [Duration] = [100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 51_200, 60_000, 60_000].map
        { .milliseconds($0) }
        #expect(delays == expected)
        #expect(machine.restartCount == 12)
        #expect(machine.lastExitCode == 1)
    }

    @Test func tenSecondsOfGoodRunningResetTheBackoff() {
        var machine = running(.always)
        _ = machine.handle(.exited(code: 1, at: t0 + .seconds(1)))
        _ = machine.handle(.started(at: t0 + .seconds(2)))
        _ = machine.handle(.exited(code: 1, at: t0 + .seconds(3)))
        _ = machine.handle(.started(at: t0 + .seconds(4)))
        // Just under ten seconds: still doubling.
        #expect(
            machine.handle(.exited(code: 1, at: t0 + .milliseconds(13_999)))
                == .restart(reason: .exited(code: 1), after: .milliseconds(400)))
        _ = machine.handle(.started(at: t0 + .seconds(20)))
        #expect(
            machine.handle(.exited(code: 1, at: t0 + .seconds(30)))
                == .restart(reason: .exited(code: 1), after: .milliseconds(100)))
    }

    @Test func onFailureWithAMaximumStopsAfterThatManyRestarts() {
        var machine = running(.onFailure(maxRetries: 3))
        var time = t0
        for attempt in 1...3 {
            time = time + .seconds(1)
            #expect(machine.handle(.exited(code: 2, at: time)) != nil, "restart \(attempt)")
            _ = machine.handle(.started(at: time))
        }
        #expect(machine.restartCount == 3)
        #expect(machine.handle(.exited(code: 2, at: time + .seconds(1))) == nil)
        #expect(machine.state == .exited(code: 2))
        #expect(machine.lastExitCode == 2)
    }

    @Test func onFailureIgnoresExitZeroAndZeroMeansNoMaximum() {
        var machine = running(.onFailure(maxRetries: nil))
        #expect(machine.handle(.exited(code: 0, at: t0 + .seconds(1))) == nil)
        #expect(machine.state == .exited(code: 0))
        var unlimited = running(.onFailure(maxRetries: 0))
        #expect(
            unlimited.handle(.exited(code: 1, at: t0 + .seconds(1)))
                == .restart(reason: .exited(code: 1), after: .milliseconds(100)))
    }

    @Test func policyNoNeverRestarts() {
        var machine = running(.no)
        #expect(machine.handle(.exited(code: 137, at: t0 + .seconds(1))) == nil)
        #expect(machine.state == .exited(code: 137))
        var unhealthy = running(.no)
        #expect(unhealthy.handle(.becameUnhealthy(lastOutput: "x", at: t0 + .seconds(1))) == nil)
        #expect(unhealthy.state == .running(since: t0))
    }

    @Test func aUserStopIsNotRestartedAndCancelsAPendingRestart() {
        for policy in [RestartPolicy.always, .unlessStopped, .onFailure(maxRetries: nil)] {
            var machine = running(policy)
            _ = machine.handle(.stoppedByUser)
            #expect(machine.handle(.exited(code: 143, at: t0 + .seconds(1))) == nil, "\(policy)")
            #expect(machine.state == .stoppedByUser)
            #expect(machine.lastExitCode == 143)
        }
        // The runtime may report the exit before the stop: the restart then never happens.
        var machine = running(.always)
        #expect(machine.handle(.exited(code: 0, at: t0 + .seconds(1))) != nil)
        _ = machine.handle(.stoppedByUser)
        #expect(machine.state == .stoppedByUser)
        #expect(machine.restartCount == 0)
    }

    @Test func afterADaemonRestartAlwaysComesBackButUnlessStoppedDoesNot() {
        for (policy, restarts) in [
            (RestartPolicy.always, true), (.unlessStopped, false), (.onFailure(maxRetries: nil), false), (.no, false),
        ] {
            var machine = running(policy)
            _ = machine.handle(.stoppedByUser)
            let decision = machine.handle(.adoptedExited(code: 143, ranFor: .seconds(60), now: t0 + .seconds(100)))
            #expect((decision == .restart(reason: .exited(code: 143), after: .zero)) == restarts, "\(policy)")
        }
        // Exited on its own while berthd was away: both bring it back, at once.
        for policy in [RestartPolicy.always, .unlessStopped] {
            var machine = running(policy)
            #expect(
                machine.handle(.adoptedExited(code: 1, ranFor: .seconds(3), now: t0 + .seconds(100)))
                    == .restart(reason: .exited(code: 1), after: .zero))
            _ = machine.handle(.started(at: t0 + .seconds(100)))
            #expect(machine.restartCount == 1)
        }
    }

    @Test func adoptionFinishesARestartThatWasPending() {
        var machine = running(.onFailure(maxRetries: 1))
        _ = machine.handle(.exited(code: 1, at: t0 + .seconds(1)))
        // berthd died during the backoff; the retry was already granted.
        #expect(
            machine.handle(.adoptedExited(code: 1, ranFor: nil, now: t0 + .seconds(50)))
                == .restart(reason: .exited(code: 1), after: .zero))
        #expect(machine.state == .restarting(reason: .exited(code: 1), at: t0 + .seconds(50)))
    }

    @Test func unhealthyRestartsAreCountedAndBackedOffLikeExits() {
        var machine = running(.unlessStopped)
        #expect(
            machine.handle(.becameUnhealthy(lastOutput: "refused", at: t0 + .seconds(1)))
                == .restart(reason: .unhealthy(lastOutput: "refused"), after: .milliseconds(100)))
        _ = machine.handle(.exited(code: 143, at: t0 + .seconds(2)))  // the echo of the supervisor's stop
        _ = machine.handle(.started(at: t0 + .seconds(2)))
        #expect(machine.restartCount == 1)
        #expect(
            machine.handle(.becameUnhealthy(lastOutput: "refused", at: t0 + .seconds(3)))
                == .restart(reason: .unhealthy(lastOutput: "refused"), after: .milliseconds(200)))
        _ = machine.handle(.started(at: t0 + .seconds(4)))
        #expect(
            machine.handle(.exited(code: 1, at: t0 + .seconds(5)))
                == .restart(reason: .exited(code: 1), after: .milliseconds(400)))
    }

    @Test func unhealthyCountsAgainstOnFailuresMaximum() {
        var machine = running(.onFailure(maxRetries: 1))
        #expect(machine.handle(.becameUnhealthy(lastOutput: "", at: t0 + .seconds(1))) != nil)
        _ = machine.handle(.started(at: t0 + .seconds(2)))
        #expect(machine.handle(.becameUnhealthy(lastOutput: "", at: t0 + .seconds(3))) == nil)
        // Out of retries, an unhealthy container keeps running.
        #expect(machine.state == .running(since: t0 + .seconds(2)))
    }

    @Test func restartOnUnhealthyCanBeTurnedOff() {
        var machine = running(.always, restartOnUnhealthy: false)
        #expect(machine.handle(.becameUnhealthy(lastOutput: "x", at: t0 + .seconds(1))) == nil)
        #expect(machine.state == .running(since: t0))
        // Exits still restart.
        #expect(machine.handle(.exited(code: 1, at: t0 + .seconds(2))) != nil)
    }

    @Test func aDependencyRestartIsImmediateAndNotCounted() {
        var machine = running(.no)
        #expect(
            machine.handle(.dependencyRestarted(service: "db", at: t0 + .seconds(1)))
                == .restart(reason: .dependencyRestarted(service: "db"), after: .zero))
        _ = machine.handle(.started(at: t0 + .seconds(1)))
        #expect(machine.restartCount == 0)
        #expect(machine.backoff == nil)
    }

    @Test func aStartByTheUserResetsCountAndBackoff() {
        var machine = running(.always)
        _ = machine.handle(.exited(code: 1, at: t0 + .seconds(1)))
        _ = machine.handle(.started(at: t0 + .seconds(1)))
        _ = machine.handle(.exited(code: 1, at: t0 + .seconds(1)))
        _ = machine.handle(.startedElsewhere(at: t0 + .seconds(2)))
        #expect(machine.restartCount == 0)
        #expect(
            machine.handle(.exited(code: 1, at: t0 + .seconds(3)))
                == .restart(reason: .exited(code: 1), after: .milliseconds(100)))
    }

    @Test func aFailedRestartIsTriedAgainWithTheBackoff() {
        var machine = running(.always)
        _ = machine.handle(.exited(code: 1, at: t0 + .seconds(1)))
        let again = machine.handle(.startFailed(message: "no space left on device", at: t0 + .seconds(2)))
        #expect(again == .restart(reason: .startFailed(message: "no space left on device"), after: .milliseconds(200)))
        #expect(machine.restartCount == 1)
        // Started at last: running, and the next exit restarts as usual.
        _ = machine.handle(.started(at: t0 + .seconds(3)))
        #expect(machine.state == .running(since: t0 + .seconds(3)))
    }

    @Test func aFailedRestartCountsTowardOnFailuresMaximum() {
        var machine = running(.onFailure(maxRetries: 2))
        _ = machine.handle(.exited(code: 1, at: t0 + .seconds(1)))
        #expect(machine.handle(.startFailed(message: "x", at: t0 + .seconds(2))) != nil)
        #expect(machine.handle(.startFailed(message: "x", at: t0 + .seconds(3))) == nil)
        #expect(machine.state == .startFailed(message: "x"))
    }

    @Test func aFailedStartNotOfARestartLeavesTheContainerDown() {
        var machine = running(.always)
        _ = machine.handle(.stoppedByUser)
        #expect(machine.handle(.startFailed(message: "x", at: t0 + .seconds(2))) == nil)
        #expect(machine.state == .startFailed(message: "x"))
    }

    @Test func reasonsReadWellInTheEventLog() {
        #expect(RestartReason.exited(code: 3).description == "exited with code 3")
        #expect(RestartReason.unhealthy(lastOutput: "x").description == "unhealthy")
        #expect(RestartReason.dependencyRestarted(service: "db").description == "dependency db restarted")
        #expect(RestartReason.startFailed(message: "x").description == "start failed")
    }
}
