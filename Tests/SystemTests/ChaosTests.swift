import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// scripts/chaos.sh in three rounds (issue 16): berthd killed with
    /// SIGKILL at a moment of `up` of a stack with healthchecks, conditions,
    /// a named volume and ports; the next `up --wait` converges, and `down
    /// -v` leaves nothing of Berth on the host.
    @Suite struct ChaosTests {
        static func compose(_ name: String) -> String {
            var text = """
                name: \(name)
                x-idle: &idle
                  image: busybox
                  init: true
                  command: ["sleep", "600"]
                services:
                  db:
                    <<: *idle
                    volumes: [data:/data]
                    healthcheck: {test: ["CMD", "true"], interval: 1s, start_interval: 200ms, start_period: 5s}
                  seed:
                    image: busybox
                    command: ["sh", "-c", "echo seeded > /data/seed"]
                    volumes: [data:/data]

                """
            for index in 1...4 {
                text += """
                      web\(index):
                        <<: *idle
                        ports: ["127.0.0.1::80"]
                        depends_on:
                          db: {condition: service_healthy}
                          seed: {condition: service_completed_successfully}

                    """
            }
            return text + "volumes:\n  data: {}\n"
        }

        @Test func berthdKilledDuringUpConvergesOnTheNextUpAndDownLeavesNothing() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(daemon, Self.compose("c\(daemon.prefix.dropFirst(5))"))
                for (round, delay) in [0.3, 0.8, 1.3].enumerated() {
                    let up = try daemon.spawnBerth(
                        ["--project-directory", directory, "up", "-d"], log: daemon.root + "/up-\(round).log")
                    // The fault lands at a chosen moment of the up: a kill, not a wait.
                    try await Task.sleep(for: .seconds(delay))
                    if let berthd = daemon.daemonPID() { kill(berthd, SIGKILL) }
                    var status: Int32 = 0
                    waitpid(up, &status, 0)
                    if daemon.pid > 0 { waitpid(daemon.pid, &status, 0) }
                    try await daemon.start()
                    let converged = try await daemon.berth(
                        ["up", "-d", "--wait", "--progress", "quiet"], in: directory)
                    #expect(converged.status == 0, "round \(round): \(converged.stderr)\n\(daemon.logTail())")
                    let ps = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                    #expect(
                        ps.count == 5, "round \(round): every long-running service runs: \(ps.map { $0["Name"] ?? "" })"
                    )
                    #expect(ps.allSatisfy { $0["State"] as? String == "running" }, "round \(round)")
                }
                try await daemon.berthOK(["down", "-v", "-t", "1"], in: directory)
                let left = await daemon.footprint.leftovers(within: .seconds(10))
                #expect(left.isEmpty, "left on the host after down -v: \(left)")
            }
        }
    }
}
