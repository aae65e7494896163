import BenchSupport
import Glibc
import HostOS

/// What the run made, deleted in reverse by `tearDown`.
final class Made {
    var veths: [InterfaceName] = []
    var namespaces: [NetworkNamespace] = []
    var bridge: InterfaceName?
    var root: String?

    /// Deletes everything, also after a failure; returns what could not be deleted.
    func tearDown(_ host: RTNetlink) -> [String] {
        var failures: [String] = []
        for veth in veths.reversed() {
            // A reference run's veth may already be gone with a failure.
            if (try? host.linkIndex(of: veth)) == nil { continue }
            do { try host.deleteLink(veth) } catch { failures.append("\(error)") }
        }
        for namespace in namespaces.reversed() {
            do { try namespace.delete() } catch { failures.append("\(error)") }
        }
        if let bridge {
            do { try host.deleteLink(bridge) } catch { failures.append("\(error)") }
        }
        if let root {
            rmdir(root + "/netns")
            if rmdir(root) != 0 { failures.append("rmdir \(root): \(HostOSError.describe(errno: errno))") }
        }
        return failures
    }
}

/// One bridge on a /16 of its own: where every container of the run is attached.
struct Bridge {
    let name: InterfaceName
    let subnet: IPv4CIDR
    let gateway: IPv4

    /// Makes the bridge, on a /16 of 10.128.0.0/9 that nothing on the host routes.
    static func make(_ host: RTNetlink, prefix: String, made: Made) throws -> Bridge {
        let name = try InterfaceName(parsing: prefix + "br")
        let routes = try host.ipv4Routes().map(\.destination).filter { $0.prefixLength > 0 }
        let free = (128...255).lazy.compactMap { second in
            IPv4CIDR(address: IPv4(UInt32(10 << 24 | second << 16)), prefixLength: 16)
        }.first { candidate in !routes.contains { $0.overlaps(candidate) } }
        guard let subnet = free else { throw BenchError("no free /16 in 10.128.0.0/9") }
        let gateway = IPv4(subnet.address.value + 1)
        try host.createBridge(name)
        made.bridge = name
        try host.addAddress(IPv4CIDR(address: gateway, prefixLength: 16) ?? subnet, to: name)
        try host.setLink(name, up: true)
        return Bridge(name: name, subnet: subnet, gateway: gateway)
    }
}

/// The same attach as `attachContainer`, one operation per request, the
/// recipe most tools follow (and what the fused version saves).
func attachStepwise(
    _ host: RTNetlink, namespace: NetworkNamespace, bridge: InterfaceName, veth: InterfaceName,
    peer: InterfaceName, address: IPv4CIDR, gateway: IPv4
) throws {
    try host.createVethPair(veth, peer: peer)
    try host.setMaster(veth, master: bridge)
    try host.setLink(veth, up: true)
    try namespace.withFileDescriptor { try host.moveLink(peer, toNamespaceFD: $0) }
    let inside = try namespace.netlink()
    try inside.renameLink(peer, to: .eth0)
    try inside.addAddress(address, to: .eth0)
    try inside.setLink(.eth0, up: true)
    try inside.addDefaultRoute(via: gateway, device: .eth0)
}

/// The same attach by running `ip` eight times, as a shell script would.
func attachWithIP(
    namespace: NetworkNamespace, bridge: InterfaceName, veth: InterfaceName, peer: InterfaceName,
    address: IPv4CIDR, gateway: IPv4
) throws {
    let inside = ["nsenter", "--net=\(namespace.path)", "ip"]
    let steps: [[String]] = [
        ["ip", "link", "add", veth.rawValue, "type", "veth", "peer", "name", peer.rawValue],
        ["ip", "link", "set", veth.rawValue, "master", bridge.rawValue],
        ["ip", "link", "set", veth.rawValue, "up"],
        ["ip", "link", "set", peer.rawValue, "netns", namespace.path],
        inside + ["link", "set", peer.rawValue, "name", "eth0"],
        inside + ["addr", "add", address.description, "dev", "eth0"],
        inside + ["link", "set", "eth0", "up"],
        inside + ["route", "add", "default", "via", gateway.description],
    ]
    for step in steps { try ProcessRunner().runBlocking(Command(step, timeout: .seconds(10))).check() }
}
