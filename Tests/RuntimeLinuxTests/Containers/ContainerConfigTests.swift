import Foundation
import Testing

@_spi(Components) @testable import RuntimeLinux

/// What the bundle says, seen from inside a real container: users,
/// environment, command precedence, init, limits.
@Suite(.requiresRoot("needs root: crun, overlay mounts and cgroups"))
struct ContainerConfigTests {
    /// Runs `spec` to its end and returns its log.
    private func output(_ f: ContainerFixture, _ spec: LinuxContainerSpec) async throws -> String {
        try await f.run(spec)
        _ = try await f.driver.wait(spec.id, timeout: .seconds(20))
        return try f.driver.logText(spec.id)
    }

    @Test func imageUserIsResolvedInTheContainersOwnPasswd() async throws {
        try await ContainerFixture.with { f in
            let image = LinuxContainerSpec.Image(env: [BundleBuilder.defaultPath], user: "www-data")
            let spec = try f.spec("www", ["sh", "-c", "id; echo HOME=$HOME"], image: image)
            let log = try await output(f, spec)
            #expect(log == "uid=33(www-data) gid=33(www-data) groups=50(staff)\nHOME=/var/www\n")
        }
    }

    @Test func serviceUserAndGroupOverrideTheImages() async throws {
        try await ContainerFixture.with { f in
            let image = LinuxContainerSpec.Image(env: [BundleBuilder.defaultPath], user: "www-data")
            var spec = try f.spec("nobody", ["sh", "-c", "echo $(id -u):$(id -g)"], image: image)
            spec.user = "nobody:staff"
            #expect(try await output(f, spec) == "65534:50\n")
        }
    }

    @Test func serviceEnvironmentWinsOverTheImages() async throws {
        try await ContainerFixture.with { f in
            let image = LinuxContainerSpec.Image(env: ["PATH=/bin", "A=image", "B=image"])
            var spec = try f.spec("env", ["env"], image: image)
            spec.environment = ["B=service", "C=service"]
            spec.hostname = "envhost"
            let lines = Set(try await output(f, spec).split(separator: "\n").map(String.init))
            #expect(lines == ["PATH=/bin", "HOSTNAME=envhost", "A=image", "B=service", "C=service", "HOME=/root"])
        }
    }

    @Test func serviceEntrypointReplacesTheImagesAndClearsItsCmd() async throws {
        try await ContainerFixture.with { f in
            let image = LinuxContainerSpec.Image(
                entrypoint: ["echo", "image-entrypoint"], cmd: ["image-cmd"], env: [BundleBuilder.defaultPath])
            var spec = LinuxContainerSpec(id: try f.id("ep"), image: image, layers: [f.busybox])
            spec.entrypoint = ["echo", "service-entrypoint"]
            #expect(try await output(f, spec) == "service-entrypoint\n")

            var withCommand = LinuxContainerSpec(id: try f.id("ep-cmd"), image: image, layers: [f.busybox])
            withCommand.command = ["service-cmd"]
            #expect(try await output(f, withCommand) == "image-entrypoint service-cmd\n")
        }
    }

    @Test func initRunsTiniAsPidOneAndForwardsStop() async throws {
        try await ContainerFixture.with { f in
            var spec = try f.spec("init", ["sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo ready; sleep 1000"])
            spec.initProcess = true
            try await f.run(spec)
            try await f.waitForLog(spec.id, containing: "ready")
            #expect(try f.driver.logText(spec.id).hasPrefix("/sbin/docker-init -- sh -c"))
            let status = try await f.driver.stop(spec.id, grace: .seconds(300))
            // tini passes TERM on to sh, which (not being PID 1) dies of it:
            // 143, not the 137 of the SIGKILL after the grace.
            #expect(status.exitCode == 143)
        }
    }

    @Test func memoryLimitKillsAnAllocationAboveIt() async throws {
        try await ContainerFixture.with { f in
            // The shell holds the 200 MB the pipeline makes: far over 32 MiB.
            var spec = try f.spec("oom", ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"])
            spec.resources.memoryLimit = 32 << 20
            try await f.run(spec)
            let status = try await f.driver.wait(spec.id, timeout: .seconds(60))
            #expect(status.oomKilled)
            #expect(status.exitCode == 137)
            #expect(!(try f.driver.logText(spec.id).contains("survived")))
        }
    }

    @Test func ulimitAboveBerthdsHardLimitIsClampedWithAWarning() async throws {
        try await ContainerFixture.with { f in
            let host = HostFacts.current()
            let ceiling = host.hardLimits["RLIMIT_NOFILE"] ?? 0
            var spec = try f.spec("ulimit", ["sh", "-c", "ulimit -n; ulimit -Hn"])
            spec.ulimits = [.init(name: "nofile", soft: 1 << 20, hard: 1 << 20)]
            let made = try await f.run(spec)
            _ = try await f.driver.wait(spec.id, timeout: .seconds(10))
            let expected = host.canRaiseLimits ? UInt64(1 << 20) : min(ceiling, 1 << 20)
            #expect(try f.driver.logText(spec.id) == "\(expected)\n\(expected)\n")
            #expect(made.warnings.contains { $0.contains("nofile") } == !host.canRaiseLimits)
        }
    }

    @Test func shmSizeAndTmpfsMountsAreSized() async throws {
        try await ContainerFixture.with { f in
            var spec = try f.spec("shm", ["sh", "-c", "grep -E ' /(dev/shm|scratch) ' /proc/mounts"])
            spec.resources.shmSize = 16 << 20
            spec.mounts = [.tmpfs(target: "/scratch", size: 8 << 20, mode: 0o700)]
            let log = try await output(f, spec)
            #expect(log.contains("/dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=16384k"))
            #expect(log.contains("/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=8192k,mode=700"))
        }
    }

    @Test func bindMountsAndVolumesAppearAtTheirTargets() async throws {
        try await ContainerFixture.with { f in
            let shared = f.root + "/shared"
            let volume = f.root + "/volume"
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
            try "from host\n".write(toFile: shared + "/note", atomically: true, encoding: .utf8)
            var spec = try f.spec(
                "binds", ["sh", "-c", "cat /in/note; touch /in/x 2>/dev/null || echo ro; echo kept > /data/file"])
            spec.mounts = [
                .bind(source: shared, target: "/in", readOnly: true),
                .volume(source: volume, target: "/data", readOnly: false),
            ]
            #expect(try await output(f, spec) == "from host\nro\n")
            #expect(try String(contentsOfFile: volume + "/file", encoding: .utf8) == "kept\n")
        }
    }
}
