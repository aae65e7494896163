import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// Anonymous volumes across a recreate, as docker compose treats them:
    /// the new container gets the old one's (and their data); `up -V` gives
    /// it new, empty ones.
    @Suite struct AnonymousVolumeTests {
        @Test func aRecreateKeepsTheDataOfAnonymousVolumesAndRenewingDropsIt() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: anon\(daemon.prefix.dropFirst(5))
                    services:
                      app:
                        image: busybox
                        environment: ["VERSION=${VERSION}"]
                        volumes: [/data]
                        command: ["sh", "-c", "trap 'exit 0' TERM; [ -f /data/first ] || echo $$VERSION > /data/first; while :; do sleep 1 & wait; done"]
                    """)
                /// `up -d` with VERSION set; then what /data/first and VERSION hold in the container.
                func up(_ version: String, _ extra: [String] = []) async throws -> (first: String, version: String) {
                    let env = ["VERSION": version]
                    try await daemon.berthOK(
                        ["up", "-d", "--progress", "plain"] + extra, in: directory, environment: env)
                    var first = ""
                    _ = try await eventually(within: 60) {
                        let cat = try await daemon.berth(
                            ["exec", "-T", "app", "cat", "/data/first"], in: directory, environment: env)
                        first = cat.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                        return cat.status == 0 && !first.isEmpty
                    }
                    let printed = try await daemon.berthOK(
                        ["exec", "-T", "app", "sh", "-c", "echo $VERSION"], in: directory, environment: env)
                    return (first, printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                }

                #expect(try await up("1") == ("1", "1"))
                // A changed environment recreates the container; the volume's file stays.
                #expect(try await up("2") == ("1", "2"))
                // -V: a new, empty anonymous volume.
                #expect(try await up("3", ["-V", "--force-recreate"]) == ("3", "3"))
                let volumes = try await daemon.berthOK(["volume", "ls", "-q"])
                #expect(volumes.stdout.split(separator: "\n").count == 1, "volumes: \(volumes.stdout)")
                try await daemon.berthOK(["down"], in: directory, environment: ["VERSION": "3"])
                let after = try await daemon.berthOK(["volume", "ls", "-q"])
                #expect(
                    after.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "volumes: \(after.stdout)")
            }
        }
    }
}
