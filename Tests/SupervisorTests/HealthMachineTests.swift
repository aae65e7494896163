import BerthModel
import Supervisor
import Testing

/// The health machine against docker's rules, with made-up times.
@Suite("HealthMachine")
struct HealthMachineTests {
    let t0 = Timestamp(seconds: 1_000)

    /// A probe result that took no time.
    func result(at time: Timestamp, exit: Int32, output: String = "") -> HealthEvent {
        .probeFinished(ProbeResult(start: time, end: time, exitCode: exit, output: output))
    }

    @Test func missingAndZeroDurationsTakeDockersDefaults() {
        let expected = HealthConfig(
            interval: .seconds(30), timeout: .seconds(30), startPeriod: .zero, startInterval: .seconds(5), retries: 3)
        #expect(HealthConfig(Healthcheck(test: ["CMD", "true"])) == expected)
        #expect(
            HealthConfig(
                Healthcheck(
                    test: ["CMD", "true"], interval: 0, timeout: 0, retries: 0, startPeriod: 0, startInterval: 0))
                == expected)
        let given = HealthConfig(
            Healthcheck(
                interval: 2_000_000_000, timeout: 1_000_000_000, retries: 5, startPeriod: 60_000_000_000,
                startInterval: 500_000_000))
        #expect(
            given
                == HealthConfig(
                    interval: .seconds(2), timeout: .seconds(1), startPeriod: .seconds(60),
                    startInterval: .milliseconds(500), retries: 5))
    }

    @Test func withoutAStartPeriodTheFirstProbeComesAfterTheInterval() {
        var machine = HealthMachine(config: HealthConfig())
        #expect(machine.handle(.started(at: t0)) == [.runProbe(at: t0 + .seconds(30))])
        #expect(machine.status == .starting)
    }

    @Test func inTheStartPeriodFailuresDoNotCountAndProbesComeEveryStartInterval() {
        var machine = HealthMachine(
            config: HealthConfig(
                interval: .seconds(30), startPeriod: .seconds(20), startInterval: .seconds(5), retries: 1))
        #expect(machine.handle(.started(at: t0)) == [.runProbe(at: t0 + .seconds(5))])
        for second in [5, 10, 15] {
            let probe = t0 + .seconds(second)
            #expect(machine.handle(result(at: probe, exit: 1)) == [.runProbe(at: probe + .seconds(5))])
            #expect(machine.status == .starting)
            #expect(machine.failingStreak == 0)
        }
        // At 20 s the start period is over: the next probe waits the interval, and failures count.
        #expect(
            machine.handle(result(at: t0 + .seconds(20), exit: 1)) == [
                .becameUnhealthy, .runProbe(at: t0 + .seconds(50)),
            ])
        #expect(machine.failingStreak == 1)
        #expect(machine.log.count == 4)
    }

    @Test func aSuccessInTheStartPeriodIsHealthyAtOnceAndSwitchesToTheInterval() {
        var machine = HealthMachine(
            config: HealthConfig(interval: .seconds(30), startPeriod: .seconds(60), startInterval: .seconds(5)))
        _ = machine.handle(.started(at: t0))
        _ = machine.handle(result(at: t0 + .seconds(5), exit: 1))
        #expect(
            machine.handle(result(at: t0 + .seconds(10), exit: 0)) == [
                .becameHealthy, .runProbe(at: t0 + .seconds(40)),
            ])
        #expect(machine.status == .healthy)
        // Once healthy, a failure inside the start period counts (docker only forgives while starting).
        #expect(machine.handle(result(at: t0 + .seconds(40), exit: 1)) == [.runProbe(at: t0 + .seconds(70))])
        #expect(machine.failingStreak == 1)
    }

    @Test func unhealthyExactlyAfterRetriesFailures() {
        var machine = HealthMachine(config: HealthConfig(interval: .seconds(10), retries: 3))
        _ = machine.handle(.started(at: t0))
        #expect(machine.handle(result(at: t0 + .seconds(10), exit: 1)) == [.runProbe(at: t0 + .seconds(20))])
        #expect(machine.handle(result(at: t0 + .seconds(20), exit: 2)) == [.runProbe(at: t0 + .seconds(30))])
        #expect(machine.status == .starting)
        #expect(
            machine.handle(result(at: t0 + .seconds(30), exit: 1, output: "refused")) == [
                .becameUnhealthy, .runProbe(at: t0 + .seconds(40)),
            ])
        #expect(machine.status == .unhealthy)
        #expect(machine.failingStreak == 3)
        #expect(machine.lastOutput == "refused")
        // Further failures say nothing new.
        #expect(machine.handle(result(at: t0 + .seconds(40), exit: 1)) == [.runProbe(at: t0 + .seconds(50))])
        #expect(machine.failingStreak == 4)
    }

    @Test func flappingGoesBackAndForthAndOneSuccessClearsTheStreak() {
        var machine = HealthMachine(config: HealthConfig(interval: .seconds(1), retries: 2))
        _ = machine.handle(.started(at: t0))
        var time = t0 + .seconds(1)
        var changes: [HealthDecision] = []
        for exit: Int32 in [0, 1, 1, 0, 1, 0, 1, 1] {
            changes += machine.handle(result(at: time, exit: exit)).filter { $0 != .runProbe(at: time + .seconds(1)) }
            time = time + .seconds(1)
        }
        #expect(changes == [.becameHealthy, .becameUnhealthy, .becameHealthy, .becameUnhealthy])
        #expect(machine.failingStreak == 2)
    }

    @Test func aProbeRunningPastItsTimeoutFailsOnTheTick() {
        var machine = HealthMachine(config: HealthConfig(interval: .seconds(10), timeout: .seconds(3), retries: 1))
        _ = machine.handle(.started(at: t0))
        let due = t0 + .seconds(10)
        #expect(machine.handle(.tick(now: due + .milliseconds(2_999))) == [])
        #expect(machine.handle(.tick(now: due + .seconds(3))) == [.becameUnhealthy, .runProbe(at: due + .seconds(13))])
        #expect(
            machine.log.last
                == ProbeResult(
                    start: due, end: due + .seconds(3), exitCode: -1, output: "Health check exceeded timeout (3s)"))
        // The hung probe's late answer belongs to the past.
        #expect(
            machine.handle(.probeFinished(ProbeResult(start: due, end: due + .seconds(4), exitCode: 0, output: "")))
                == [])
        #expect(machine.status == .unhealthy)
    }

    @Test func aResultThatTookTheWholeTimeoutIsATimeoutWhateverItsCode() {
        var machine = HealthMachine(
            config: HealthConfig(interval: .seconds(10), timeout: .milliseconds(1_500), retries: 3))
        _ = machine.handle(.started(at: t0))
        let start = t0 + .seconds(10)
        let late = ProbeResult(start: start, end: start + .milliseconds(1_500), exitCode: 0, output: "partial")
        #expect(machine.handle(.probeFinished(late)) == [.runProbe(at: start + .milliseconds(11_500))])
        #expect(machine.failingStreak == 1)
        #expect(machine.log.last?.output == "Health check exceeded timeout (1.5s): partial")
        #expect(machine.log.last?.exitCode == -1)
    }

    @Test func keepsTheLastFiveResultsAndDockersFourKiBOfOutput() {
        var machine = HealthMachine(config: HealthConfig(interval: .seconds(1)))
        _ = machine.handle(.started(at: t0))
        for second in 1...7 {
            _ = machine.handle(result(at: t0 + .seconds(second), exit: 0, output: "run \(second)"))
        }
        #expect(machine.log.map(\.output) == ["run 3", "run 4", "run 5", "run 6", "run 7"])
        let long = String(repeating: "x", count: 4095) + "é" + "tail"
        let cut = ProbeResult.truncated(long)
        #expect(cut == String(repeating: "x", count: 4095) + "...")
        #expect(ProbeResult.truncated(String(repeating: "y", count: 4096)) == String(repeating: "y", count: 4096))
    }

    @Test func staleAndStoppedResultsAreIgnored() {
        var machine = HealthMachine(config: HealthConfig(interval: .seconds(5)))
        _ = machine.handle(.started(at: t0))
        // Started before the probe we wait for: from an earlier run.
        #expect(machine.handle(result(at: t0 + .seconds(1), exit: 0)) == [])
        #expect(machine.handle(.stopped) == [])
        #expect(machine.handle(result(at: t0 + .seconds(5), exit: 0)) == [])
        #expect(machine.log.isEmpty)
    }

    @Test func aRestartStartsOverButKeepsTheLog() {
        var machine = HealthMachine(config: HealthConfig(interval: .seconds(1), retries: 1))
        _ = machine.handle(.started(at: t0))
        _ = machine.handle(result(at: t0 + .seconds(1), exit: 1))
        #expect(machine.status == .unhealthy)
        #expect(machine.handle(.started(at: t0 + .seconds(5))) == [.runProbe(at: t0 + .seconds(6))])
        #expect(machine.status == .starting)
        #expect(machine.failingStreak == 0)
        #expect(machine.log.count == 1)
    }

    @Test func adoptionTimesTheFirstProbeFromNowAndTheStartPeriodFromTheStart() {
        var machine = HealthMachine(
            config: HealthConfig(interval: .seconds(30), startPeriod: .seconds(60), startInterval: .seconds(5)))
        // Running for ten minutes: the start period is long over.
        #expect(machine.handle(.adopted(startedAt: t0, now: t0 + .seconds(600))) == [.runProbe(at: t0 + .seconds(630))])
        var young = HealthMachine(
            config: HealthConfig(interval: .seconds(30), startPeriod: .seconds(60), startInterval: .seconds(5)))
        #expect(young.handle(.adopted(startedAt: t0, now: t0 + .seconds(10))) == [.runProbe(at: t0 + .seconds(15))])
    }

    @Test func theProbeCommandIsBuiltAsDockerBuildsIt() {
        func command(_ test: [String]?, disable: Bool = false) -> [String]? {
            SupervisedContainer(
                id: "c", name: "c", service: "c", healthcheck: Healthcheck(test: test, disable: disable)
            ).probeCommand
        }
        #expect(command(["CMD", "pg_isready", "-U", "app"]) == ["pg_isready", "-U", "app"])
        #expect(
            command(["CMD-SHELL", "curl -f http://localhost || exit 1"]) == [
                "/bin/sh", "-c", "curl -f http://localhost || exit 1",
            ])
        // No probe: disabled, NONE, nothing to run, a type docker does not know, or the image's test not filled in.
        #expect(command(["CMD", "true"], disable: true) == nil)
        #expect(command(["NONE"]) == nil)
        #expect(command(["CMD"]) == nil)
        #expect(command(["SHELL", "true"]) == nil)
        #expect(command(nil) == nil)
    }
}
