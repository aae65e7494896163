import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// `volumes_from` as docker compose does it: the service mounts the
    /// other service's volumes and binds at the same paths.
    @Suite struct VolumesFromTests {
        @Test func aServiceReadsAnotherServicesVolumesReadOnly() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: vf\(daemon.prefix.dropFirst(5))
                    services:
                      data:
                        image: busybox
                        volumes: [shared:/shared, /cache, ./site:/site]
                        command: ["sh", "-c", "trap 'exit 0' TERM; echo v > /shared/f; echo c > /cache/f; echo s > /site/f; while :; do sleep 1 & wait; done"]
                      reader:
                        image: busybox
                        volumes_from: ["data:ro"]
                        depends_on: [data]
                        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                    volumes:
                      shared: {}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                var seen = ""
                let read = try await eventually(within: 60) {
                    let cat = try await daemon.berth(
                        ["exec", "-T", "reader", "cat", "/shared/f", "/cache/f", "/site/f"], in: directory)
                    seen = cat.stdout
                    return cat.status == 0
                }
                #expect(read && seen == "v\nc\ns\n", "reader saw: \(seen)")
                let write = try await daemon.berth(["exec", "-T", "reader", "touch", "/shared/g"], in: directory)
                #expect(write.status != 0, "volumes_from data:ro mounts read-only")
                try await daemon.berthOK(["down", "-v"], in: directory)
                let volumes = try await daemon.berthOK(["volume", "ls", "-q"])
                #expect(volumes.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(volumes.stdout)")
            }
        }
    }
}
