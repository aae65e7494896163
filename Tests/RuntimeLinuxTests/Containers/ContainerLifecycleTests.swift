import BerthModel
import Foundation
import Testing

@_spi(Components) @testable import RuntimeLinux

/// A container's life through the driver: output, exit codes, stop, removal.
@Suite(.requiresRoot("needs root: crun, overlay mounts and cgroups"))
struct ContainerLifecycleTests {
    @Test func echoOutputReachesTheLog() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("echo", ["echo", "hello from berth"])
            try await f.run(spec)
            let status = try await f.driver.wait(spec.id, timeout: .seconds(10))
            #expect(status.exitCode == 0)
            #expect(status.signal == nil)
            #expect(try f.driver.logText(spec.id) == "hello from berth\n")
        }
    }

    @Test func exitCodeIsRecorded() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("exit3", ["sh", "-c", "exit 3"])
            try await f.run(spec)
            let status = try await f.driver.wait(spec.id, timeout: .seconds(10))
            #expect(status.exitCode == 3)
            #expect(status.oomKilled == false)
            #expect(try await f.driver.inspect(spec.id).status == .exited(status))
        }
    }

    @Test func createdContainerWaitsForStart() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("waits", ["echo", "started"])
            let made = try await f.create(spec)
            #expect(try await f.driver.inspect(spec.id).status == .created(pid: made.pid))
            #expect(try f.driver.logText(spec.id) == "")
            try await f.driver.start(spec.id)
            #expect(try await f.driver.wait(spec.id, timeout: .seconds(10)).exitCode == 0)
            #expect(try f.driver.logText(spec.id) == "started\n")
        }
    }

    @Test func stopEndsWithinGraceWhenTermIsHandled() async throws {
        try await ContainerFixture.with { f in
            let script = "trap 'echo got TERM; exit 0' TERM; echo ready; sleep 1000 & wait"
            let spec = try f.spec("trap", ["sh", "-c", script])
            try await f.run(spec)
            try await f.waitForLog(spec.id, containing: "ready")
            let status = try await f.driver.stop(spec.id, grace: .seconds(300))
            // Exit 0 from the handler, not 137 from the SIGKILL after the grace.
            #expect(status.exitCode == 0)
            #expect(try f.driver.logText(spec.id).contains("got TERM"))
        }
    }

    @Test func stopKillsAfterGraceWhenTermIsIgnored() async throws {
        try await ContainerFixture.with { f in
            // PID 1 without a handler: the kernel drops TERM for it.
            let spec = try f.spec("deaf", ["sleep", "1000"])
            try await f.run(spec)
            let clock = ContinuousClock()
            let start = clock.now
            let status = try await f.driver.stop(spec.id, grace: .seconds(1))
            let elapsed = start.duration(to: clock.now)
            #expect(status.exitCode == 137)
            #expect(status.signal == 9)
            #expect(elapsed >= .seconds(1), "SIGKILL came before the grace ended: \(elapsed)")
            #expect(elapsed < .seconds(120), "stop took \(elapsed) with a 1 s grace")
        }
    }

    @Test func readOnlyRootfsRefusesWrites() async throws {
        try await ContainerFixture.with { f in
            var spec = try f.spec(
                "ro", ["sh", "-c", "touch /newfile 2>&1; echo status=$?; echo ok > /dev/shm/x && echo shm=ok"])
            spec.readOnlyRootfs = true
            try await f.run(spec)
            _ = try await f.driver.wait(spec.id, timeout: .seconds(10))
            let log = try f.driver.logText(spec.id)
            #expect(log.contains("Read-only file system"))
            #expect(log.contains("status=1"))
            #expect(log.contains("shm=ok"))
            #expect(!FileManager.default.fileExists(atPath: f.driver.paths(spec.id).upper + "/newfile"))
        }
    }

    @Test func writableLayerGoesWithTheContainer() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("layer", ["sh", "-c", "echo data > /written"])
            try await f.run(spec)
            #expect(try await f.driver.wait(spec.id, timeout: .seconds(10)).exitCode == 0)
            let paths = f.driver.paths(spec.id)
            #expect(try String(contentsOfFile: paths.upper + "/written", encoding: .utf8) == "data\n")
            #expect(!FileManager.default.fileExists(atPath: f.busybox + "/written"))
            try await f.driver.remove(spec.id)
            #expect(!FileManager.default.fileExists(atPath: paths.directory))
            #expect(!OverlayRootfs.isMounted(paths.rootfs))
            #expect(throws: BerthError.self) { try f.driver.requireExists(spec.id) }
        }
    }

    @Test func twoContainersShareOneLowerDir() async throws {
        try await ContainerFixture.with { f in
            let script = "echo $0 > /marker; echo ready; sleep 1000 & wait"
            let a = try f.spec("share-a", ["sh", "-c", script, "a"])
            let b = try f.spec("share-b", ["sh", "-c", script, "b"])
            try await f.run(a)
            try await f.run(b)
            try await f.waitForLog(a.id, containing: "ready")
            try await f.waitForLog(b.id, containing: "ready")
            let seenByA = try await f.driver.exec(a.id, LinuxExecSpec(["cat", "/marker"]))
            let seenByB = try await f.driver.exec(b.id, LinuxExecSpec(["cat", "/marker"]))
            #expect(seenByA.output == "a\n")
            #expect(seenByB.output == "b\n")
            #expect(!FileManager.default.fileExists(atPath: f.busybox + "/marker"))
            let lowerA = try String(contentsOfFile: f.driver.paths(a.id).config, encoding: .utf8)
            #expect(lowerA.contains(f.driver.paths(a.id).rootfs))
            // Both still run on the one lower dir; force removal kills them.
            try await f.driver.remove(a.id, force: true)
            #expect(try await f.driver.exec(b.id, LinuxExecSpec(["test", "-x", "/bin/busybox"])).exitCode == 0)
            try await f.driver.remove(b.id, force: true)
            #expect(FileManager.default.fileExists(atPath: f.busybox + "/bin/busybox"))
        }
    }

    @Test func waitHonoursItsDeadlineAndCancellationAndServesManyWaiters() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("waiters", ["sh", "-c", "trap 'exit 5' TERM; echo ready; sleep 1000 & wait"])
            try await f.run(spec)
            try await f.waitForLog(spec.id, containing: "ready")
            let timedOut = await #expect(throws: BerthError.self) {
                try await f.driver.wait(spec.id, timeout: .milliseconds(300))
            }
            #expect(timedOut?.code == .timeout)

            let driver = f.driver
            let cancelled = Task { try await driver.wait(spec.id, timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(100))
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }

            // Twenty waiters on one container all see the one exit.
            let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<20 { group.addTask { try await driver.wait(spec.id, timeout: .seconds(20)).exitCode } }
                try await Task.sleep(for: .milliseconds(100))
                try await driver.kill(spec.id, signal: SIGTERM)
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 5, count: 20))
        }
    }

    @Test func unknownUserFailsCreateAndLeavesNothing() async throws {
        try await ContainerFixture.with { f in
            var spec = try f.spec("ghost", ["true"])
            spec.user = "ghost"
            let error = await #expect(throws: BerthError.self) { try await f.create(spec) }
            #expect(error?.code == .unknownUser)
            #expect(error?.message.contains("\"ghost\"") == true)
            #expect(error?.message.contains(spec.id.rawValue) == true)
            #expect(!FileManager.default.fileExists(atPath: f.driver.paths(spec.id).directory))
        }
    }
}
