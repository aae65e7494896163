import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// Berth's containers and another engine's (a bridge with a container
    /// behind it, as docker0 is) do not reach each other, either way
    /// (issue 16): Berth's bridges forward only to the way out.
    @Suite struct IsolationTests {
        @Test func aBerthContainerAndAnotherEnginesContainerCannotReachEachOther() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                // The other engine: bridge <prefix>o, a namespace behind it on a veth.
                let bridge = daemon.prefix + "o"
                let namespace = daemon.prefix + "-other"
                let third = Int.random(in: 1...250)
                let (gateway, peer) = ("10.215.\(third).1", "10.215.\(third).2")
                let setup = [
                    ["ip", "link", "add", bridge, "type", "bridge"],
                    ["ip", "addr", "add", gateway + "/24", "dev", bridge],
                    ["ip", "link", "set", bridge, "up"], ["ip", "netns", "add", namespace],
                    ["ip", "link", "add", bridge + "h", "type", "veth", "peer", "name", bridge + "c"],
                    ["ip", "link", "set", bridge + "h", "master", bridge, "up"],
                    ["ip", "link", "set", bridge + "c", "netns", namespace],
                    ["ip", "-n", namespace, "addr", "add", peer + "/24", "dev", bridge + "c"],
                    ["ip", "-n", namespace, "link", "set", bridge + "c", "up"],
                    ["ip", "-n", namespace, "link", "set", "lo", "up"],
                    ["ip", "-n", namespace, "route", "add", "default", "via", gateway],
                ]
                defer {
                    _ = try? FileManager.default.removeItem(atPath: "/run/netns/" + namespace)
                }
                do {
                    for command in setup {
                        let done = try await run(command)
                        guard done.status == 0 else { throw TestFailure("\(command): \(done.stderr)") }
                    }
                    let directory = try writeProject(
                        daemon,
                        """
                        name: i\(daemon.prefix.dropFirst(5))
                        services:
                          box:
                            image: busybox
                            init: true
                            command: ["sleep", "600"]
                        """)
                    try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                    let ps = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                    let address = try #require((ps.first?["Networks"] as? [String: String])?.values.first, "\(ps)")
                    // The other engine's side answers its own gateway: the setup works.
                    let own = try await run(["ip", "netns", "exec", namespace, "ping", "-c1", "-W1", gateway])
                    #expect(own.status == 0, "\(own.stdout)\(own.stderr)")
                    let inward = try await run(["ip", "netns", "exec", namespace, "ping", "-c1", "-W1", address])
                    #expect(inward.status != 0, "the other engine's container reached Berth's: \(inward.stdout)")
                    let outward = try await daemon.berth(
                        ["exec", "-T", "box", "ping", "-c1", "-W1", peer], in: directory)
                    #expect(outward.status != 0, "Berth's container reached the other engine's: \(outward.stdout)")
                    // The host itself still reaches the container (published ports go that way).
                    let host = try await run(["ping", "-c1", "-W1", address])
                    #expect(host.status == 0, "\(host.stdout)\(host.stderr)")
                    try await daemon.berthOK(["down", "-t", "0"], in: directory)
                } catch {
                    _ = try? await run(["ip", "netns", "del", namespace])
                    throw error
                }
                _ = try? await run(["ip", "netns", "del", namespace])
            }
        }
    }
}
