import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// Healthchecks, restart policies and restarts on unhealthy, end to end on
    /// the real kernel: the probes run in the containers, the restarts are real.
    @Suite struct HealthTests {
        /// The lines of a service's log with their times (seconds since the epoch).
        func timedLines(_ daemon: TestDaemon, _ directory: String, _ service: String) async throws -> [(Double, String)]
        {
            let output = try await daemon.berthOK(["logs", "-t", "--no-log-prefix", service], in: directory)
            return output.stdout.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let time = Self.seconds(String(parts[0])) else { return nil }
                return (time, String(parts[1]))
            }
        }

        /// `2026-11-29T19:50:56.123456789Z` → seconds since the epoch.
        static func seconds(_ text: String) -> Double? {
            guard let dot = text.firstIndex(of: "."), text.hasSuffix("Z") else { return nil }
            let formatter = ISO8601DateFormatter()
            guard let date = formatter.date(from: String(text[..<dot]) + "Z"),
                let fraction = Double("0" + text[dot..<text.index(before: text.endIndex)])
            else { return nil }
            return date.timeIntervalSince1970 + fraction
        }

        func summary(_ daemon: TestDaemon, _ directory: String, _ service: String) async throws -> [String: Any]? {
            let ps = try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory)
            return try psJSON(ps.stdout).first { $0["Service"] as? String == service }
        }

        @Test func anUnhealthyServiceIsRestartedAndItsDependentFollows() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: heal\(daemon.prefix.dropFirst(5))
                    services:
                      db:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; echo started; touch /tmp/healthy; sleep 3; rm /tmp/healthy; echo deleted; while :; do sleep 1 & wait; done"]
                        restart: always
                        healthcheck:
                          test: ["CMD", "test", "-f", "/tmp/healthy"]
                          interval: 1s
                          timeout: 1s
                          retries: 2
                          start_period: 1s
                          start_interval: 200ms
                      app:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; echo started; while :; do sleep 1 & wait; done"]
                        restart: always
                        depends_on:
                          db: {condition: service_healthy, restart: true}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                // db deletes its file after 3 s; two failed 1 s probes later it is restarted.
                let restarted = try await eventually(within: 20) {
                    try await timedLines(daemon, directory, "db").filter { $0.1 == "started" }.count >= 2
                }
                #expect(restarted, "db was not restarted:\n\(daemon.logTail())")
                let db = try await timedLines(daemon, directory, "db")
                if let deleted = db.first(where: { $0.1 == "deleted" })?.0,
                    let second = db.filter({ $0.1 == "started" }).dropFirst().first?.0
                {
                    // interval × retries plus a second.
                    #expect(second - deleted <= 1 * 2 + 1, "restart came \(second - deleted) s after the file went")
                }
                let followed = try await eventually(within: 20) {
                    try await timedLines(daemon, directory, "app").filter { $0.1 == "started" }.count >= 2
                }
                #expect(followed, "app (restart: true on db) was not restarted:\n\(daemon.logTail())")
                let summary = try await summary(daemon, directory, "db")
                #expect((summary?["RestartCount"] as? Int ?? 0) >= 1)
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func aCrashLoopBacksOffDoubling() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: crash\(daemon.prefix.dropFirst(5))
                    services:
                      crash:
                        image: busybox
                        command: ["sh", "-c", "echo start; exit 1"]
                        restart: always
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let enough = try await eventually(within: 20) {
                    try await timedLines(daemon, directory, "crash").filter { $0.1 == "start" }.count >= 6
                }
                #expect(enough)
                let starts = try await timedLines(daemon, directory, "crash").filter { $0.1 == "start" }.map(\.0)
                let gaps = zip(starts.dropFirst(), starts).map { $0 - $1 }
                // 100 ms, 200, 400, 800, 1600 … plus the run itself: each wait is
                // at least the backoff and the later ones grow.
                let backoffs = [0.1, 0.2, 0.4, 0.8, 1.6]
                for (gap, backoff) in zip(gaps, backoffs) {
                    #expect(gap >= backoff * 0.9, "gaps \(gaps)")
                }
                if gaps.count >= 5 { #expect(gaps[4] > gaps[1] * 2, "gaps do not grow: \(gaps)") }
                let summary = try await summary(daemon, directory, "crash")
                #expect((summary?["RestartCount"] as? Int ?? 0) >= 5)
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func upWaitReturnsOnlyOnceASlowDatabaseIsHealthy() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: slow\(daemon.prefix.dropFirst(5))
                    services:
                      db:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3; touch /tmp/ready; while :; do sleep 1 & wait; done"]
                        healthcheck:
                          test: ["CMD", "test", "-f", "/tmp/ready"]
                          interval: 5s
                          start_period: 30s
                          start_interval: 250ms
                      web:
                        image: busybox
                        init: true
                        command: ["httpd", "-f", "-p", "80"]
                        depends_on:
                          db: {condition: service_healthy}
                    """)
                try await daemon.berthOK(
                    ["up", "--wait", "--wait-timeout", "60", "--progress", "plain"], in: directory)
                let db = try await summary(daemon, directory, "db")
                #expect(db?["Health"] as? String == "healthy")
                #expect(try await summary(daemon, directory, "web")?["State"] as? String == "running")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func upWaitFailsNamingTheUnhealthyServiceAndItsProbe() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: sick\(daemon.prefix.dropFirst(5))
                    services:
                      db:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                        healthcheck:
                          test: ["CMD-SHELL", "echo not ready yet; exit 1"]
                          interval: 300ms
                          retries: 2
                    """)
                let output = try await daemon.berth(
                    ["up", "--wait", "--wait-timeout", "30", "--progress", "plain"], in: directory)
                #expect(output.status != 0)
                #expect(output.stderr.contains("db"), "\(output.stderr)")
                #expect(output.stderr.contains("not ready yet"), "\(output.stderr)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func aKilledBerthdIsReplacedAndAdoptsItsContainers() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: adopt\(daemon.prefix.dropFirst(5))
                    services:
                      keeper:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; echo started; while :; do sleep 1 & wait; done"]
                        restart: always
                      steady:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let before = try psJSON(
                    try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory).stdout)
                let top = try await daemon.berthOK(["top", "keeper"], in: directory)
                // The first process row's PID column (UID PID PPID …).
                let pid = top.stdout.split(separator: "\n").dropFirst(2).first.flatMap {
                    Int32($0.split(separator: " ")[1])
                }
                let keeperPID = try #require(pid, "no pid in top:\n\(top.stdout)")

                let berthd = try #require(daemon.daemonPID())
                kill(berthd, SIGKILL)
                #expect(try await eventually(within: 60) { kill(berthd, 0) != 0 || TestDaemon.isZombie(berthd) })
                // While berthd is away, keeper dies.
                kill(keeperPID, SIGKILL)

                // The next command starts berthd again (and says so).
                let ps = try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory)
                #expect(ps.stderr.contains("started berthd"), "\(ps.stderr)")
                let after = try psJSON(ps.stdout)
                #expect(
                    after.map { $0["Name"] as? String ?? "" }.sorted()
                        == before.map { $0["Name"] as? String ?? "" }.sorted(),
                    "containers duplicated or lost: \(ps.stdout)")
                #expect(
                    after.map { $0["Created"] as? Double ?? 0 }.sorted()
                        == before.map { $0["Created"] as? Double ?? 0 }.sorted())
                let back = try await eventually(within: 20) {
                    try await timedLines(daemon, directory, "keeper").filter { $0.1 == "started" }.count >= 2
                }
                #expect(back, "keeper, killed while berthd was away, was not restarted:\n\(daemon.logTail())")
                #expect(try await summary(daemon, directory, "steady")?["State"] as? String == "running")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
    }
}
