import BerthModel
import RuntimeKit

/// How one probe run ended, seen from outside the health machine.
enum ProbeOutcome: Sendable {
    case finished(ProbeResult)
    /// The probe's timeout passed first; the machine turns this into docker's failure.
    case timedOut(now: Timestamp)
    /// The probe was called off (the container stopped, the supervisor shut down).
    case cancelled
}

extension SupervisorService {
    // MARK: Probes

    /// Runs the probe the health machine asked for, at its time.
    func scheduleProbe(_ id: String, at due: Timestamp) {
        // The machine may have moved on while its decisions were carried out
        // (an unhealthy turn that stopped the container): only its current
        // probe is worth a task.
        guard let entry = entries[id], !entry.paused, let health = entry.health, health.phase == .probeDue(at: due),
            let command = entry.container.probeCommand
        else { return }
        cancelProbe(id)
        let timeout = health.config.timeout
        let runtime = runtime
        let clock = clock
        entries[id]?.probeTask = Task { [weak self] in
            do { try await clock.sleep(until: due) } catch { return }
            let outcome = await Self.probe(id, command: command, timeout: timeout, runtime: runtime, clock: clock)
            guard !Task.isCancelled else { return }
            await self?.probeEnded(id, outcome)
        }
    }

    /// Hands a probe's end to the health machine, which discards a stale one.
    func probeEnded(_ id: String, _ outcome: ProbeOutcome) {
        switch outcome {
        case .finished(let result): applyHealth(id, .probeFinished(result))
        case .timedOut(let now): applyHealth(id, .tick(now: now))
        case .cancelled: break
        }
    }

    /// One probe: the exec against the clock. The runtime gets the timeout too
    /// and kills the probe itself; the clock's side makes a runtime that hangs
    /// count as a timeout all the same. As docker, a probe that times out is
    /// waited for (cancelled, not abandoned), so dying probes do not pile up.
    static func probe(
        _ id: String, command: [String], timeout: Duration, runtime: any ContainerRuntime,
        clock: any Clock
    ) async -> ProbeOutcome {
        let start = clock.now
        let spec = ExecSpec(command: command, timeout: timeout.clampedNanoseconds)
        return await withTaskGroup(of: ProbeOutcome?.self) { group in
            group.addTask {
                do {
                    let result = try await runtime.exec(id, spec)
                    // docker sends stdout and stderr into one buffer.
                    return .finished(
                        ProbeResult(
                            start: start, end: clock.now, exitCode: result.exitCode,
                            output: result.stdout + result.stderr))
                } catch is CancellationError {
                    return nil
                } catch {
                    // docker records a probe that could not run as exit code -1 with the error.
                    return .finished(ProbeResult(start: start, end: clock.now, exitCode: -1, output: "\(error)"))
                }
            }
            group.addTask {
                do { try await clock.sleep(until: start + timeout) } catch { return nil }
                return .timedOut(now: clock.now)
            }
            var outcome = ProbeOutcome.cancelled
            for await candidate in group {
                guard let candidate else { continue }
                outcome = candidate
                break
            }
            group.cancelAll()
            return outcome
        }
    }

    // MARK: Restarts

    /// Carries out a restart decision: stop the container if it still runs,
    /// wait out the backoff, start it. The restart becomes real when the
    /// runtime's `start` event comes back (`restartStarted`): by then every
    /// event of the stop has been handled, so its `die` is not taken for a crash.
    func performRestart(_ id: String, reason: RestartReason, after: Duration) {
        cancelProbe(id)
        applyHealth(id, .stopped)
        guard var entry = entries[id] else { return }
        entry.restartTask?.cancel()
        nextToken += 1
        let token = nextToken
        entry.restartToken = token
        entry.restartDelay = after
        // After an exit there is nothing to stop; otherwise the process still runs.
        let mustStop: Bool
        switch reason {
        case .exited, .startFailed: mustStop = false
        case .unhealthy, .dependencyRestarted: mustStop = true
        }
        if mustStop { entry.ownStops += 1 }
        let due = clock.now + after
        let container = entry.container
        let runtime = runtime
        let clock = clock
        entry.restartTask = Task { [weak self] in
            if mustStop {
                do {
                    try await runtime.stopContainer(id, signal: container.stopSignal, grace: container.stopGracePeriod)
                } catch {
                    await self?.ownStopFailed(id)
                }
            }
            do { try await clock.sleep(until: due) } catch { return }
            await self?.restartDue(id, token: token)
        }
        entries[id] = entry
    }

    /// A stop that failed sends no `stop` event; stop waiting for one.
    func ownStopFailed(_ id: String) {
        if let stops = entries[id]?.ownStops, stops > 0 { entries[id]?.ownStops = stops - 1 }
    }

    /// The backoff is over: start the container, unless the decision was
    /// overtaken (a user stop, a start by someone else, a newer decision).
    func restartDue(_ id: String, token: Int) async {
        guard let entry = entries[id], entry.restartToken == token,
            case .restarting(let reason, _) = entry.restart.state
        else { return }
        publish(id, .restart(reason: reason, after: entry.restartDelay))
        entries[id]?.ownStarts += 1
        do {
            try await runtime.startContainer(id)
        } catch {
            if let starts = entries[id]?.ownStarts, starts > 0 { entries[id]?.ownStarts = starts - 1 }
            let message = "\(error)"
            applyRestart(id, .startFailed(message: message, at: clock.now))
            publish(id, .restartFailed(message: message))
        }
    }

    /// The runtime confirms our start: the container runs again.
    func restartStarted(_ id: String, at now: Timestamp) {
        // A user's stop that came in while our start was on its way wins.
        guard let entry = entries[id], case .restarting = entry.restart.state else { return }
        let service = entry.container.service
        applyRestart(id, .started(at: now))
        applyHealth(id, .started(at: now))
        generations[service, default: 0] += 1
        reviewDependents()
    }
}
