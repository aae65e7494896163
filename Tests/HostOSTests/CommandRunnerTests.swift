import Glibc
import HostOS
import Testing

/// The real process runner against /bin/sh and coreutils; no root needed.
@Suite struct CommandRunnerTests {
    let runner = ProcessRunner()

    @Test func capturesStdoutStderrAndStatus() async throws {
        let result = try await runner.run(Command(["sh", "-c", "echo out; echo err >&2; exit 3"]))
        #expect(result.output == "out\n")
        #expect(result.errorOutput == "err\n")
        #expect(result.termination == .exited(3))
        #expect(!result.succeeded)
    }

    @Test func checkNamesTheCommandTheStatusAndStderr() async throws {
        let result = try await runner.run(Command(["sh", "-c", "echo 'no such table' >&2; exit 1"]))
        let error = #expect(throws: HostOSError.self) { try result.check() }
        #expect(
            error?.description
                == "command \"sh -c 'echo '\\''no such table'\\'' >&2; exit 1'\" exited with status 1: no such table")
    }

    @Test func environmentAndWorkingDirectoryAreTheCommands() async throws {
        let result = try await runner.run(
            Command(
                ["sh", "-c", "echo \"$GREETING\"; pwd; echo \"${HOME-unset}\""],
                environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"], workingDirectory: "/proc"))
        #expect(try result.check().output == "hello\n/proc\nunset\n")
    }

    @Test func standardInputIsFedAndClosed() async throws {
        let input = Array(repeating: Array("line\n".utf8), count: 50_000).flatMap { $0 }
        let result = try await runner.run(Command(["wc", "-l"], standardInput: input))
        #expect(result.output.trimmingPrefix(while: { $0 == " " }) == "50000\n")
    }

    @Test func withoutInputStdinIsDevNull() async throws {
        let result = try await runner.run(Command(["cat"], timeout: .seconds(5)))
        #expect(result.succeeded)
        #expect(result.standardOutput.isEmpty)
    }

    @Test func aChildThatIgnoresItsInputDoesNotKillUs() async throws {
        // Writing into a pipe nobody reads raises SIGPIPE, which would end
        // the test process if the runner did not block it.
        let input = [UInt8](repeating: 0x61, count: 1 << 20)
        let result = try await runner.run(Command(["true"], standardInput: input))
        #expect(result.succeeded)
    }

    @Test func largeOutputIsDrainedWithoutDeadlock() async throws {
        let result = try await runner.run(
            Command(["sh", "-c", "head -c 3000000 /dev/zero; head -c 300000 /dev/zero >&2"]))
        #expect(result.standardOutput.count == 3_000_000)
        #expect(result.standardError.count == 300_000)
    }

    @Test func aTimeoutKillsTheWholeProcessGroup() async throws {
        let start = ContinuousClock.now
        let error = await #expect(throws: HostOSError.self) {
            try await runner.run(
                Command(["sh", "-c", "echo started >&2; sleep 300 & sleep 300"], timeout: .milliseconds(300)))
        }
        // Not a speed check: had the runner waited for the background
        // `sleep 300` (still holding the pipes), this would take 300 s. The
        // bound is wide: the whole suite starting at once on two cores has
        // kept this test from running for 25 s.
        #expect(ContinuousClock.now - start < .seconds(200))
        #expect(error?.code == .timeout)
        #expect(
            error?.description
                == "command \"sh -c 'echo started >&2; sleep 300 & sleep 300'\" timed out after 0.3 seconds: started")
    }

    @Test func aSignalIsReportedAsSuch() async throws {
        let result = try await runner.run(Command(["sh", "-c", "kill -KILL $$"]))
        #expect(result.termination == .signaled(SIGKILL))
        #expect(result.termination.description == "killed by signal 9")
    }

    @Test func aMissingProgramNamesItAndThePath() async throws {
        let error = await #expect(throws: HostOSError.self) {
            try await runner.run(Command(["berth-no-such-tool"], environment: ["PATH": "/usr/bin:/bin"]))
        }
        #expect(
            error?.description
                == "run \"berth-no-such-tool\": not found in PATH /usr/bin:/bin: No such file or directory (ENOENT)")
    }

    @Test func aMissingWorkingDirectoryNamesIt() async throws {
        let error = await #expect(throws: HostOSError.self) {
            try await runner.run(Command(["pwd"], workingDirectory: "/nonexistent-berth"))
        }
        #expect(error?.description == "run \"pwd\" in \"/nonexistent-berth\": No such file or directory (ENOENT)")
    }

    @Test func aGrandchildHoldingThePipeDoesNotHangTheRun() async throws {
        // A daemonizing program leaves a child with our stdout; the run ends
        // when the direct child does.
        let start = ContinuousClock.now
        let result = try await runner.run(
            Command(["sh", "-c", "sleep 300 & echo $!; echo parent"], timeout: .seconds(400)))
        let lines = result.output.split(separator: "\n")
        if let grandchild = lines.first.flatMap({ Int32($0) }) { kill(grandchild, SIGKILL) }
        #expect(lines.last == "parent")
        // Not a speed check: waiting for the grandchild would take 300 s;
        // the bound leaves room for a machine loaded by the whole suite.
        #expect(ContinuousClock.now - start < .seconds(200))
    }

    @Test func onlyStandardDescriptorsReachTheChild() async throws {
        let netlink = try RTNetlink()  // an open socket the child must not see
        let result = try await runner.run(Command(["sh", "-c", "ls /proc/self/fd"]))
        // 0, 1, 2, and the fd ls opened to read the directory.
        #expect(result.output.split(separator: "\n").count == 4)
        _ = netlink
    }
}
