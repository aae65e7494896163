import BerthModel
import Foundation
import Testing

@_spi(Components) @testable import RuntimeLinux

/// `ContainerDriver.restart`: an exited container runs again on its bundle.
@Suite(.requiresRoot("needs root: crun, overlay mounts and cgroups"))
struct ContainerRestartTests {
    @Test func restartKeepsTheWritableLayerAndAppendsToTheLog() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("again", ["sh", "-c", "echo run >> /runs; wc -l < /runs; exit 2"])
            try await f.run(spec)
            #expect(try await f.driver.wait(spec.id, timeout: .seconds(10)).exitCode == 2)
            let layers = spec.layers
            let pid = try await f.driver.restart(spec.id, layers: layers)
            #expect(pid > 0)
            let status = try await f.driver.wait(spec.id, timeout: .seconds(10))
            #expect(status.exitCode == 2)
            #expect(try f.driver.logText(spec.id) == "1\n2\n")
            #expect(f.driver.observe(spec.id) == .exited(status))
        }
    }

    @Test func restartRefusesAContainerThatHasNotExited() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("live", ["sleep", "1000"])
            try await f.run(spec)
            guard case .alive(let pid) = f.driver.observe(spec.id) else {
                Issue.record("observe: \(f.driver.observe(spec.id))")
                return
            }
            #expect(pid > 0)
            let error = await #expect(throws: BerthError.self) {
                _ = try await f.driver.restart(spec.id, layers: spec.layers)
            }
            #expect(error?.code == .invalidState)
        }
    }

    @Test func restartRemountsARootfsThatIsGone() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("remount", ["sh", "-c", "echo run >> /runs; wc -l < /runs"])
            try await f.run(spec)
            _ = try await f.driver.wait(spec.id, timeout: .seconds(10))
            // As after a reboot: the overlay is no longer mounted; its upper dir is kept.
            try OverlayRootfs.unmount(paths: f.driver.paths(spec.id))
            _ = try await f.driver.restart(spec.id, layers: spec.layers)
            _ = try await f.driver.wait(spec.id, timeout: .seconds(10))
            #expect(try f.driver.logText(spec.id) == "1\n2\n")
        }
    }
}
