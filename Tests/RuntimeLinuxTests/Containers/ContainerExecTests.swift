import BerthModel
import Foundation
import Testing

@_spi(Components) @testable import RuntimeLinux

/// `exec` into a running container, as `docker exec` behaves.
@Suite(.requiresRoot("needs root: crun, overlay mounts and cgroups"))
struct ContainerExecTests {
    /// A container that idles until killed, with some env and a working dir.
    private func idle(_ f: ContainerFixture, _ name: String) async throws -> LinuxContainerSpec {
        var spec = try f.spec(name, ["sh", "-c", "echo ready; sleep 1000 & wait"])
        spec.environment = ["FOO=container", "BAR=kept"]
        spec.workingDir = "/tmp"
        try await f.run(spec)
        try await f.waitForLog(spec.id, containing: "ready")
        return spec
    }

    @Test func execReturnsOutputAndExitCode() async throws {
        try await ContainerFixture.with { f in
            let spec = try await idle(f, "exec-out")
            let result = try await f.driver.exec(
                spec.id, LinuxExecSpec(["sh", "-c", "echo out; echo err >&2; exit 7"]))
            #expect(result.exitCode == 7)
            #expect(result.output == "out\n")
            #expect(result.errorOutput == "err\n")
        }
    }

    @Test func execEnvironmentAddsToTheContainersAndWins() async throws {
        try await ContainerFixture.with { f in
            let spec = try await idle(f, "exec-env")
            let result = try await f.driver.exec(
                spec.id, LinuxExecSpec(["sh", "-c", "echo $FOO $BAR $NEW"], environment: ["FOO=exec", "NEW=added"]))
            #expect(result.output == "exec kept added\n")
        }
    }

    @Test func execUserResolvesInTheContainersPasswd() async throws {
        try await ContainerFixture.with { f in
            let spec = try await idle(f, "exec-user")
            let asWWW = try await f.driver.exec(spec.id, LinuxExecSpec(["id", "-u"], user: "www-data"))
            #expect(asWWW.output == "33\n")
            let groups = try await f.driver.exec(spec.id, LinuxExecSpec(["id", "-G"], user: "www-data"))
            #expect(groups.output == "33 50\n")
            let numeric = try await f.driver.exec(
                spec.id, LinuxExecSpec(["sh", "-c", "echo $(id -u):$(id -g)"], user: "4321:50"))
            #expect(numeric.output == "4321:50\n")
            let error = await #expect(throws: BerthError.self) {
                try await f.driver.exec(spec.id, LinuxExecSpec(["true"], user: "nosuchuser"))
            }
            #expect(error?.code == .unknownUser)
        }
    }

    @Test func execWorkingDirectoryDefaultsToTheContainers() async throws {
        try await ContainerFixture.with { f in
            let spec = try await idle(f, "exec-cwd")
            #expect(try await f.driver.exec(spec.id, LinuxExecSpec(["pwd"])).output == "/tmp\n")
            #expect(
                try await f.driver.exec(spec.id, LinuxExecSpec(["pwd"], workingDir: "/var/www")).output == "/var/www\n")
        }
    }

    @Test func execIntoAnExitedContainerIsRefused() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("exec-done", ["true"])
            try await f.run(spec)
            _ = try await f.driver.wait(spec.id, timeout: .seconds(10))
            let error = await #expect(throws: BerthError.self) {
                try await f.driver.exec(spec.id, LinuxExecSpec(["true"]))
            }
            #expect(error?.code == .invalidState)
        }
    }
}
