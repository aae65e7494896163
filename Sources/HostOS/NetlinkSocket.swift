/// The rtnetlink operations the runtime needs, in the network namespace the
/// socket was opened in. `RTNetlink` is the real one; RuntimeLinux tests can
/// record calls with a fake instead.
///
/// Every failure is a `HostOSError` whose message names the operation and
/// the object, e.g. `netlink: create bridge "berth0a1b": File exists (EEXIST)`.
public protocol NetlinkSocket: Sendable {
    /// Creates a bridge, down. Fails with EEXIST if the name is taken.
    func createBridge(_ name: InterfaceName) throws

    /// Creates a veth pair `name` ↔ `peer`. With `peerNamespaceFD` the peer
    /// is born inside that namespace (its name need only be free there);
    /// `master` and `up` apply to `name` in the same request.
    func createVethPair(
        _ name: InterfaceName, peer: InterfaceName, master: InterfaceName?, up: Bool, peerNamespaceFD: Int32?
    ) throws

    /// Enslaves `link` to the bridge `master`.
    func setMaster(_ link: InterfaceName, master: InterfaceName) throws

    /// Moves `link` into the network namespace open at `namespaceFD`.
    func moveLink(_ link: InterfaceName, toNamespaceFD namespaceFD: Int32) throws

    /// Renames a link; the kernel refuses while it is up (EBUSY).
    func renameLink(_ link: InterfaceName, to newName: InterfaceName) throws

    /// Sets IFF_UP on or off.
    func setLink(_ link: InterfaceName, up: Bool) throws

    /// Adds an IPv4 address with its prefix (and broadcast, as `brd +`).
    func addAddress(_ address: IPv4CIDR, to link: InterfaceName) throws

    /// Adds `default via gateway` to the main table, optionally pinned to
    /// `device`. The gateway must be reachable on a link that is up.
    func addDefaultRoute(via gateway: IPv4, device: InterfaceName?) throws

    /// Deletes a link (for a veth, both ends). ENODEV if it does not exist.
    func deleteLink(_ name: InterfaceName) throws

    /// The link's index, or nil if no link has that name.
    func linkIndex(of name: InterfaceName) throws -> Int32?

    /// Every link of the namespace.
    func links() throws -> [LinkInfo]

    /// Every IPv4 unicast route of every table, so an IPAM can skip subnets
    /// the host already routes.
    func ipv4Routes() throws -> [IPv4Route]
}

extension NetlinkSocket {
    /// A veth pair with both ends in this namespace, down, unenslaved.
    public func createVethPair(_ name: InterfaceName, peer: InterfaceName) throws {
        try createVethPair(name, peer: peer, master: nil, up: false, peerNamespaceFD: nil)
    }

    /// `default via gateway`, device chosen by the kernel.
    public func addDefaultRoute(via gateway: IPv4) throws {
        try addDefaultRoute(via: gateway, device: nil)
    }
}

/// One link as `ip -o link` would list it.
public struct LinkInfo: Hashable, Sendable, CustomStringConvertible {
    /// The interface name (kept as the kernel's string: any name it holds
    /// is one it accepted).
    public var name: String
    /// The ifindex, unique within the namespace.
    public var index: Int32
    /// IFLA_INFO_KIND: "bridge", "veth", …; nil for physical devices and lo.
    public var kind: String?
    /// IFF_UP (administratively up).
    public var isUp: Bool
    /// The bridge it is enslaved to, by index.
    public var masterIndex: Int32?

    /// A link description.
    public init(name: String, index: Int32, kind: String?, isUp: Bool, masterIndex: Int32?) {
        self.name = name
        self.index = index
        self.kind = kind
        self.isUp = isUp
        self.masterIndex = masterIndex
    }

    /// `7: berth0a1b (bridge) up`.
    public var description: String {
        "\(index): \(name) (\(kind ?? "device"))\(isUp ? " up" : "")"
    }
}

/// One IPv4 route as `ip -4 route show table all` would list it.
public struct IPv4Route: Hashable, Sendable, CustomStringConvertible {
    /// The destination prefix; `0.0.0.0/0` for a default route.
    public var destination: IPv4CIDR
    /// The next hop, if the route has one.
    public var gateway: IPv4?
    /// The output interface index, if the route names one.
    public var interfaceIndex: Int32?
    /// The routing table (254 is main).
    public var table: UInt32

    /// A route description.
    public init(destination: IPv4CIDR, gateway: IPv4?, interfaceIndex: Int32?, table: UInt32) {
        self.destination = destination
        self.gateway = gateway
        self.interfaceIndex = interfaceIndex
        self.table = table
    }

    /// `10.0.0.0/8 via 10.0.0.1 dev 3 table 254`.
    public var description: String {
        var text = destination.description
        if let gateway { text += " via \(gateway)" }
        if let interfaceIndex { text += " dev \(interfaceIndex)" }
        return text + " table \(table)"
    }
}
