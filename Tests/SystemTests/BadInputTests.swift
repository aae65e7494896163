import Foundation
import Glibc
import Testing

extension SystemTests {
    /// Bad input ends with one clear message and a non-zero exit, and leaves
    /// nothing half-made: what `up` created for the failed service is gone.
    @Suite struct BadInputTests {
        @Test func upWithNoComposeFileSaysWhereItLooked() async throws {
            try await withDaemon(start: false) { daemon in
                let empty = daemon.root + "/empty"
                try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
                let output = try await daemon.berth(["up", "-d"], in: empty)
                #expect(output.status != 0)
                #expect(output.stderr.contains("compose.yaml"), "\(output.stderr)")
                #expect(!output.stderr.contains("Fatal error"))
                // Nothing was asked of a daemon: none was started.
                #expect(daemon.daemonPID() == nil)
            }
        }

        @Test func aCycleIsNamedBeforeAnythingRuns() async throws {
            try await withDaemon(start: false) { daemon in
                let directory = try writeProject(
                    daemon,
                    """
                    services:
                      a: {image: busybox, depends_on: [b]}
                      b: {image: busybox, depends_on: [a]}
                    """)
                let output = try await daemon.berth(["up", "-d"], in: directory)
                #expect(output.status != 0)
                #expect(output.stderr.contains("cycle"), "\(output.stderr)")
                #expect(output.stderr.contains("a") && output.stderr.contains("b"))
                #expect(daemon.daemonPID() == nil)
            }
        }

        @Test func aMissingImageSaysHowToGetOneAndLeavesNoContainer() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: missing\(daemon.prefix.dropFirst(5))
                    services:
                      ok:
                        image: busybox
                        init: true
                        command: ["sleep", "600"]
                      broken:
                        image: nosuchimage:1.0
                        pull_policy: never
                    """)
                let output = try await daemon.berth(["up", "-d", "--progress", "plain"], in: directory)
                #expect(output.status != 0)
                #expect(output.stderr.contains("nosuchimage:1.0"), "\(output.stderr)")
                #expect(output.stderr.contains("berth image import"), "\(output.stderr)")
                #expect(!output.stderr.contains("Fatal error"))
                let ps = try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory)
                let services = try psJSON(ps.stdout).compactMap { $0["Service"] as? String }
                #expect(!services.contains("broken"), "the failed service's container was left: \(ps.stdout)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func aPortAlreadyTakenIsNamedAndTheServiceLeavesNothing() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                // Something of ours holds the port on loopback.
                let (fd, port) = loopbackSocket()
                defer { close(fd) }
                listen(fd, 1)
                let directory = try writeProject(
                    daemon,
                    """
                    name: port\(daemon.prefix.dropFirst(5))
                    services:
                      web:
                        image: busybox
                        init: true
                        command: ["httpd", "-f", "-p", "80"]
                        ports: ["127.0.0.1:\(port):80"]
                    """)
                let output = try await daemon.berth(["up", "-d", "--progress", "plain"], in: directory)
                #expect(output.status != 0)
                #expect(output.stderr.contains("\(port)"), "\(output.stderr)")
                let ps = try await daemon.berthOK(["ps", "-a", "-q"], in: directory)
                #expect(ps.stdout.isEmpty, "containers left: \(ps.stdout)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func aDaemonThatCannotStartIsExplainedWithItsLog() async throws {
            try await withDaemon(start: false) { daemon in
                let directory = try writeProject(daemon, "services:\n  a: {image: busybox}\n")
                let output = try await daemon.berth(
                    ["ps"], in: directory, environment: ["BERTH_SUBNET_POOL": "not-a-subnet"])
                #expect(output.status != 0)
                #expect(output.stderr.contains("berthd could not start"), "\(output.stderr)")
                #expect(output.stderr.contains(daemon.root + "/berthd.log"), "\(output.stderr)")
                #expect(output.stderr.contains("subnet-pool"), "the reason is shown: \(output.stderr)")
            }
        }
    }
}
