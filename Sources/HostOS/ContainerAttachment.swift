import Glibc

/// What `attachContainer` made, for the caller's records and for detaching.
public struct ContainerAttachment: Hashable, Sendable, CustomStringConvertible {
    /// The host end of the veth pair, enslaved to the bridge; deleting it
    /// deletes the container's end too.
    public var hostVeth: InterfaceName
    /// The container's interface, inside the namespace.
    public var containerInterface: InterfaceName
    /// Its ifindex inside the namespace.
    public var containerIndex: Int32
    /// Its address.
    public var address: IPv4CIDR
    /// The namespace file.
    public var netnsPath: String

    /// `berth1a2b3c ⇄ eth0 172.20.0.2/24 in /…/netns/x`.
    public var description: String {
        "\(hostVeth) <-> \(containerInterface) \(address) in \(netnsPath)"
    }
}

extension RTNetlink {
    /// Connects a container's network namespace to a bridge, the per-container
    /// half of a compose network: veth pair, host end on the bridge and up,
    /// container end named `containerIfName` with `address`, up, and
    /// (when `defaultRoute`) `default via gateway`.
    ///
    /// `self` must be a socket in the bridge's namespace (normally the host's).
    /// The steps, and why they are fewer than the obvious recipe (create,
    /// set master, up, move the peer, rename it inside):
    ///
    /// 1. One RTM_NEWLINK on the host creates the pair with the host end
    ///    already enslaved and up, and the peer born *inside* the namespace
    ///    (IFLA_NET_NS_FD in VETH_INFO_PEER) under its final name. The peer
    ///    never exists on the host, so there is no temporary name to collide
    ///    with a concurrent attach or to leak after a crash, and no move:
    ///    moving an existing link between namespaces unregisters and
    ///    re-registers it, which waits for RCU grace periods (7–20 ms per
    ///    move on the development VM, against 0.5 ms for the whole create).
    /// 2. One thread hop opens a netlink socket inside the namespace (see
    ///    `NetworkNamespace.netlink()`); then, on that socket from this
    ///    thread: look up the index, add the address, set it up, add the
    ///    route. The route must come last: the kernel refuses a gateway that
    ///    no up link can reach (ENETUNREACH), and the link's prefix route
    ///    appears only when it is up with its address.
    ///
    /// No process is started. If a step fails, the host end is deleted
    /// (which takes the container end with it) and the error names the step.
    /// The call blocks for about a millisecond; it spends no time waiting.
    @discardableResult
    public func attachContainer(
        netnsPath: String,
        bridge: InterfaceName,
        hostVethName: InterfaceName,
        containerIfName: InterfaceName = .eth0,
        address: IPv4CIDR,
        gateway: IPv4,
        defaultRoute: Bool,
        hardwareAddress: [UInt8]? = nil
    ) throws -> ContainerAttachment {
        if defaultRoute && !address.contains(gateway) {
            throw HostOSError.invalid(
                "attach \"\(hostVethName)\" to \"\(bridge)\": gateway \(gateway) is outside \(address.network)")
        }
        let fd = try Syscall.open(netnsPath, O_RDONLY)
        defer { Syscall.close(fd) }
        try createVethPair(
            hostVethName, peer: containerIfName, master: bridge, up: true, peerNamespaceFD: fd,
            peerHardwareAddress: hardwareAddress)
        do {
            let inside = try NetworkNamespace.netlink(fd: fd, path: netnsPath)
            let place = "\"\(containerIfName)\" in \(netnsPath)"
            let index = try inside.requireIndex(of: containerIfName, for: "look up \(place)")
            try inside.addAddress(address, index: index, "add address \(address) to \(place)")
            try inside.setLink(containerIfName, up: true)
            if defaultRoute {
                try inside.addDefaultRoute(
                    via: gateway, deviceIndex: index, "add default route via \(gateway) in \(netnsPath)")
            }
            return ContainerAttachment(
                hostVeth: hostVethName, containerInterface: containerIfName, containerIndex: index,
                address: address, netnsPath: netnsPath)
        } catch {
            // Best effort: the error that matters is the one that stopped us.
            try? deleteLink(hostVethName)
            throw error
        }
    }

    /// Undoes `attachContainer`: deletes the host end, and with it the
    /// container's end (a veth pair dies whole).
    public func detachContainer(_ attachment: ContainerAttachment) throws {
        try deleteLink(attachment.hostVeth)
    }
}
