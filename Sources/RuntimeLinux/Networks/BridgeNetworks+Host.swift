import AsyncKeyedLock
import BerthModel
import Glibc
import HostOS

/// The acting half of `BridgeNetworks`: netlink and nft calls wrapped into
/// `BerthError`s that name the network, and the one-at-a-time gate.
extension BridgeNetworks {
    /// Removes every network, detaching its containers first; keeps going
    /// past failures and reports them all at once (teardown and `down`).
    public func removeAll() async throws(BerthError) {
        var failures: [String] = []
        for network in list() {
            for endpoint in network.endpoints {
                do throws(BerthError) {
                    try await detach(network.name, netnsPath: endpoint.netnsPath)
                } catch {
                    failures.append(error.description)
                }
            }
            do throws(BerthError) { try await remove(network.name) } catch { failures.append(error.description) }
        }
        if !failures.isEmpty {
            throw BerthError(
                .host, "cannot remove every network (\(failures.count) failed)", cause: failures.joined(separator: "; ")
            )
        }
    }

    /// Runs `body` when no other operation is in flight, handing over to the
    /// next waiter in arrival order when it is done. A caller cancelled
    /// while it waits gets a `cancelled` error and changes nothing.
    func exclusively<T>(_ body: () async throws(BerthError) -> T) async throws(BerthError) -> T {
        do {
            try await gate.lock(.all)
        } catch {
            throw BerthError(.cancelled, "cancelled while waiting for another network operation to finish")
        }
        defer { gate.unlock(.all) }
        return try await body()
    }

    /// The host's IPv4 routes, each with its interface's name for messages.
    func hostRoutes() throws(BerthError) -> [HostRoute] {
        do {
            let names = Dictionary(
                try netlink.links().map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
            return try netlink.ipv4Routes().map { route in
                HostRoute(destination: route.destination, interface: route.interfaceIndex.flatMap { names[$0] })
            }
        } catch {
            throw BerthError(.host, "cannot list the host's IPv4 routes", wrapping: error)
        }
    }

    /// The bridge of `network`, with the gateway address, up.
    ///
    /// A link by that name that our state does not know is a bridge of ours
    /// left by a crash between creating it and saving the state (the name is
    /// our prefix plus a hash of this network's name): it is replaced.
    ///
    /// On a dedicated thread: registering a link waits in the kernel (and
    /// replacing one waits for RCU), time a thread of Swift's small
    /// cooperative pool must not spend blocked.
    func makeBridge(for network: BridgeNetwork) async throws(BerthError) {
        let bridge = network.bridge
        let what = "create bridge \"\(bridge)\" for network \"\(network.name)\""
        guard let address = IPv4CIDR(address: network.gateway, prefixLength: network.subnet.prefixLength) else {
            throw BerthError(.invalidArgument, "\(what): invalid gateway \(network.gateway)")
        }
        let netlink = self.netlink
        do {
            try await DedicatedThread.run {
                if try netlink.linkIndex(of: bridge) != nil { try netlink.deleteLink(bridge) }
                try netlink.createBridge(bridge)
                do {
                    try netlink.addAddress(address, to: bridge)
                    try netlink.setLink(bridge, up: true)
                } catch {
                    try? netlink.deleteLink(bridge)
                    throw error
                }
            }
        } catch {
            throw BerthError(.host, what, wrapping: error)
        }
    }

    /// Deletes a link; one that is gone already counts as deleted. On a
    /// dedicated thread, as `makeBridge`: a delete waits for RCU grace
    /// periods (18-48 ms for a veth).
    func deleteLink(_ name: InterfaceName, _ what: String) async throws(BerthError) {
        let netlink = self.netlink
        do {
            try await DedicatedThread.run { try netlink.deleteLink(name) }
        } catch let error as HostOSError where error.errno == ENODEV {
            return
        } catch {
            throw BerthError(.host, what, wrapping: error)
        }
    }

    /// Runs an attach. When the kernel says EEXIST and a host veth by our
    /// name exists, that veth is stale (our state holds no endpoint for this
    /// namespace and network): left by a crash, or the old pair of a
    /// namespace the kernel is still destroying, which it does
    /// asynchronously. It is deleted and the attach tried once more.
    func connect(
        _ what: String, hostVeth: InterfaceName, _ body: (RTNetlink) throws -> ContainerAttachment
    ) throws(BerthError) {
        do {
            _ = try body(netlink)
        } catch let error as HostOSError where error.errno == EEXIST && (try? netlink.linkIndex(of: hostVeth)) != nil {
            try? netlink.deleteLink(hostVeth)
            do {
                _ = try body(netlink)
            } catch {
                throw BerthError(.host, what, wrapping: error)
            }
        } catch {
            throw BerthError(.host, what, wrapping: error)
        }
    }

    /// Rewrites our table for `networks`, or deletes it when none are left.
    func applyFirewall(_ networks: [NetworkName: BridgeNetwork]) async throws(BerthError) {
        let script = FirewallRules.script(
            table: naming.table, networks: Array(networks.values), uplinks: Uplinks.current())
        try await FirewallRules.apply(script, table: naming.table, runner: runner)
    }
}
