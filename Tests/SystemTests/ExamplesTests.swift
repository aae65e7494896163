import Foundation
import Glibc
import Testing

extension SystemTests {
    /// Every example loads and comes up. The demo runs as written; the others
    /// name images this machine cannot pull (no network in tests), so each of
    /// their services runs on the busybox base through a compose.override.yaml
    /// that keeps everything else: networks, volumes, dependencies, replicas,
    /// limits, profiles, extends.
    @Suite struct ExamplesTests {
        static let examples = ["demo", "webapp", "devstack"]

        @Test(arguments: examples)
        func exampleComesUpAndGoesDown(_ example: String) async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try await copyExample(example, into: daemon)
                let name = "ex\(example.prefix(4))\(daemon.prefix.dropFirst(5))"
                var env = ["WEB_PORT": "\(freePort())", "API_PORT": "\(freePort())"]
                if example != "demo" {
                    let services = try await daemon.berthOK(["-p", name, "config", "--services"], in: directory)
                    var override = "services:\n"
                    for service in services.stdout.split(separator: "\n") {
                        override += """
                              \(service):
                                image: busybox
                                entrypoint: !reset null
                                command: !override ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                                healthcheck: !override {test: ["CMD", "true"], interval: 1s, start_period: 5s, start_interval: 200ms}
                                ports: !reset []

                            """
                    }
                    try override.write(toFile: directory + "/compose.override.yaml", atomically: true, encoding: .utf8)
                    env["API_IMAGE"] = "busybox"
                }
                try await daemon.berthOK(
                    ["-p", name, "up", "--wait", "--wait-timeout", "90", "--progress", "plain"], in: directory,
                    environment: env)
                let ps = try psJSON(
                    try await daemon.berthOK(
                        ["-p", name, "ps", "-a", "--format", "json"], in: directory, environment: env
                    ).stdout)
                #expect(!ps.isEmpty)
                for container in ps where container["Service"] as? String != "seed" {
                    #expect(
                        container["State"] as? String == "running",
                        "\(container["Name"] ?? "?") is \(container["State"] ?? "?")")
                }
                try await daemon.berthOK(
                    ["-p", name, "down", "-v", "-t", "1", "--progress", "plain"], in: directory, environment: env)
                let left = try await daemon.berthOK(["-p", name, "ps", "-a", "-q"], in: directory, environment: env)
                #expect(left.stdout.isEmpty)
            }
        }
    }
}
