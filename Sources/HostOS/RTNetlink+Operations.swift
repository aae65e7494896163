import CLinux
import Glibc

/// The operations, each one request (two when a name must first become an
/// index). Links are addressed by name wherever the kernel allows it
/// (RTM_SETLINK and RTM_DELLINK look up IFLA_IFNAME when ifi_index is 0),
/// which saves a round trip and makes ENODEV name what was missing.
extension RTNetlink {
    /// RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL and kind "bridge".
    public func createBridge(_ name: InterfaceName) throws {
        var request = NetlinkRequest.link(type: RT.newLink, flags: RT.create | RT.exclusive)
        request.attribute(IFLA_IFNAME, string: name.rawValue)
        request.nested(IFLA_LINKINFO) { $0.attribute(IFLA_INFO_KIND, string: "bridge") }
        try execute(request, "create bridge \"\(name)\"")
    }

    /// RTM_NEWLINK kind "veth" with the peer described in VETH_INFO_PEER,
    /// which nests a whole ifinfomsg plus attributes of its own. The peer's
    /// IFLA_NET_NS_FD creates it directly in the target namespace, as `ip
    /// link add … peer name eth0 netns X` does; master and IFF_UP on the
    /// host end ride in the same message.
    public func createVethPair(
        _ name: InterfaceName, peer: InterfaceName, master: InterfaceName?, up: Bool, peerNamespaceFD: Int32?
    ) throws {
        try createVethPair(
            name, peer: peer, master: master, up: up, peerNamespaceFD: peerNamespaceFD, peerHardwareAddress: nil)
    }

    /// `createVethPair` with the peer's MAC address (`mac_address`); nil: the kernel's random one.
    public func createVethPair(
        _ name: InterfaceName, peer: InterfaceName, master: InterfaceName?, up: Bool, peerNamespaceFD: Int32?,
        peerHardwareAddress: [UInt8]?
    ) throws {
        let what = "create veth \"\(name)\" with peer \"\(peer)\""
        let masterIndex = try master.map { try requireIndex(of: $0, for: "\(what): master \"\($0)\"") }
        var request = NetlinkRequest.link(type: RT.newLink, flags: RT.create | RT.exclusive, up: up ? true : nil)
        request.attribute(IFLA_IFNAME, string: name.rawValue)
        if let masterIndex { request.attribute(IFLA_MASTER, uint32: UInt32(bitPattern: masterIndex)) }
        request.nested(IFLA_LINKINFO) { info in
            info.attribute(IFLA_INFO_KIND, string: "veth")
            info.nested(IFLA_INFO_DATA) { data in
                data.nested(VETH_INFO_PEER) { peerInfo in
                    peerInfo.append(ifinfomsg.link())
                    peerInfo.attribute(IFLA_IFNAME, string: peer.rawValue)
                    // A MAC address of the user's (`mac_address`); else the kernel's random one.
                    if let peerHardwareAddress { peerInfo.attribute(IFLA_ADDRESS, peerHardwareAddress) }
                    if let peerNamespaceFD {
                        peerInfo.attribute(IFLA_NET_NS_FD, uint32: UInt32(bitPattern: peerNamespaceFD))
                    }
                }
            }
        }
        try execute(request, what)
    }

    /// RTM_SETLINK with IFLA_MASTER (an index, hence one lookup).
    public func setMaster(_ link: InterfaceName, master: InterfaceName) throws {
        let what = "set master of \"\(link)\" to \"\(master)\""
        let masterIndex = try requireIndex(of: master, for: what)
        var request = NetlinkRequest.link(type: RT.setLink)
        request.attribute(IFLA_IFNAME, string: link.rawValue)
        request.attribute(IFLA_MASTER, uint32: UInt32(bitPattern: masterIndex))
        try execute(request, what)
    }

    /// RTM_SETLINK with IFLA_NET_NS_FD. The link leaves this namespace, and
    /// so leaves its bridge and loses its addresses. Slow (milliseconds, not
    /// microseconds): the kernel unregisters the device and waits for RCU
    /// grace periods; prefer creating a veth peer in place (`createVethPair`
    /// with `peerNamespaceFD`).
    public func moveLink(_ link: InterfaceName, toNamespaceFD namespaceFD: Int32) throws {
        var request = NetlinkRequest.link(type: RT.setLink)
        request.attribute(IFLA_IFNAME, string: link.rawValue)
        request.attribute(IFLA_NET_NS_FD, uint32: UInt32(bitPattern: namespaceFD))
        try execute(request, "move link \"\(link)\" to namespace fd \(namespaceFD)")
    }

    /// RTM_SETLINK by index with the new IFLA_IFNAME (by name would look up
    /// the new name).
    public func renameLink(_ link: InterfaceName, to newName: InterfaceName) throws {
        let what = "rename link \"\(link)\" to \"\(newName)\""
        var request = NetlinkRequest.link(type: RT.setLink, index: try requireIndex(of: link, for: what))
        request.attribute(IFLA_IFNAME, string: newName.rawValue)
        try execute(request, what)
    }

    /// RTM_SETLINK with IFF_UP in ifi_change, so no other flag moves.
    public func setLink(_ link: InterfaceName, up: Bool) throws {
        var request = NetlinkRequest.link(type: RT.setLink, up: up)
        request.attribute(IFLA_IFNAME, string: link.rawValue)
        try execute(request, "set link \"\(link)\" \(up ? "up" : "down")")
    }

    /// RTM_NEWADDR. IFA_LOCAL is the interface's own address; IFA_ADDRESS
    /// equals it except on point-to-point links; the broadcast is what `ip
    /// addr add … brd +` computes, left out for /31 and /32 (RFC 3021).
    public func addAddress(_ address: IPv4CIDR, to link: InterfaceName) throws {
        let what = "add address \(address) to \"\(link)\""
        try addAddress(address, index: requireIndex(of: link, for: what), what)
    }

    /// `addAddress` for a link whose index the caller already knows.
    func addAddress(_ address: IPv4CIDR, index: Int32, _ what: @autoclosure () -> String) throws {
        var info = ifaddrmsg()
        info.ifa_family = UInt8(AF_INET)
        info.ifa_prefixlen = address.prefixLength
        info.ifa_scope = UInt8(RT_SCOPE_UNIVERSE.rawValue)
        info.ifa_index = UInt32(bitPattern: index)
        var request = NetlinkRequest(type: RT.newAddr, flags: RT.create | RT.exclusive)
        request.append(info)
        request.attribute(IFA_LOCAL, address.address.bytes)
        request.attribute(IFA_ADDRESS, address.address.bytes)
        if address.prefixLength < 31 { request.attribute(IFA_BROADCAST, address.broadcast.bytes) }
        try execute(request, what())
    }

    /// RTM_NEWROUTE 0.0.0.0/0 in the main table, protocol "boot" and scope
    /// universe as `ip route add default via G` sends it.
    public func addDefaultRoute(via gateway: IPv4, device: InterfaceName?) throws {
        let what = "add default route via \(gateway)" + (device.map { " dev \"\($0)\"" } ?? "")
        let index = try device.map { try requireIndex(of: $0, for: what) }
        try addDefaultRoute(via: gateway, deviceIndex: index, what)
    }

    /// `addDefaultRoute` for a device whose index the caller already knows.
    func addDefaultRoute(via gateway: IPv4, deviceIndex: Int32?, _ what: @autoclosure () -> String) throws {
        var route = rtmsg()
        route.rtm_family = UInt8(AF_INET)
        route.rtm_table = UInt8(RT_TABLE_MAIN.rawValue)
        route.rtm_protocol = UInt8(RTPROT_BOOT)
        route.rtm_scope = UInt8(RT_SCOPE_UNIVERSE.rawValue)
        route.rtm_type = UInt8(RTN_UNICAST)
        var request = NetlinkRequest(type: RT.newRoute, flags: RT.create | RT.exclusive)
        request.append(route)
        request.attribute(Int(RTA_GATEWAY.rawValue), gateway.bytes)
        if let deviceIndex { request.attribute(Int(RTA_OIF.rawValue), uint32: UInt32(bitPattern: deviceIndex)) }
        try execute(request, what())
    }

    /// RTM_DELLINK by name. Like a move, it waits for RCU grace periods
    /// (15–25 ms per veth on the development VM) under the kernel's one
    /// rtnl lock, so deleting many links serially adds up.
    public func deleteLink(_ name: InterfaceName) throws {
        var request = NetlinkRequest.link(type: RT.delLink)
        request.attribute(IFLA_IFNAME, string: name.rawValue)
        try execute(request, "delete link \"\(name)\"")
    }

    /// RTM_GETLINK by name; the kernel's ENODEV becomes nil.
    public func linkIndex(of name: InterfaceName) throws -> Int32? {
        var request = NetlinkRequest.link(type: RT.getLink)
        request.attribute(IFLA_IFNAME, string: name.rawValue)
        // Skip the per-link statistics: they are most of the reply's bytes.
        request.attribute(IFLA_EXT_MASK, uint32: UInt32(RTEXT_FILTER_SKIP_STATS))
        do {
            let answers = try execute(request, "look up link \"\(name)\"")
            return answers.lazy.compactMap { $0.fixed(ifinfomsg.self)?.ifi_index }.first
        } catch let error as HostOSError where error.errno == ENODEV {
            return nil
        }
    }

    /// RTM_GETLINK dump.
    public func links() throws -> [LinkInfo] {
        var request = NetlinkRequest.link(type: RT.getLink)
        request.attribute(IFLA_EXT_MASK, uint32: UInt32(RTEXT_FILTER_SKIP_STATS))
        return try dump(request, "list links").compactMap { message -> LinkInfo? in
            guard message.type == RT.newLink, let info = message.fixed(ifinfomsg.self) else { return nil }
            let attributes = message.attributes(after: ifinfomsg.self)
            guard let name = attributes.string(IFLA_IFNAME) else { return nil }
            let master = attributes.uint32(IFLA_MASTER).map { Int32(bitPattern: $0) }
            return LinkInfo(
                name: name, index: info.ifi_index,
                kind: attributes.nested(IFLA_LINKINFO)?.string(IFLA_INFO_KIND),
                isUp: info.ifi_flags & UInt32(IFF_UP) != 0,
                masterIndex: master == 0 ? nil : master)
        }
    }

    /// RTM_GETROUTE dump for AF_INET, unicast routes only: local, broadcast
    /// and multicast entries of the local table route nothing anywhere.
    public func ipv4Routes() throws -> [IPv4Route] {
        var request = NetlinkRequest(type: RT.getRoute, flags: 0)
        var filter = rtmsg()
        filter.rtm_family = UInt8(AF_INET)
        request.append(filter)
        return try dump(request, "list IPv4 routes").compactMap { message -> IPv4Route? in
            guard message.type == RT.newRoute, let route = message.fixed(rtmsg.self),
                route.rtm_family == UInt8(AF_INET), route.rtm_type == UInt8(RTN_UNICAST)
            else { return nil }
            let attributes = message.attributes(after: rtmsg.self)
            let destination = attributes[Int(RTA_DST.rawValue)].flatMap { IPv4(bytes: $0) } ?? IPv4(0)
            guard let prefix = IPv4CIDR(address: destination, prefixLength: route.rtm_dst_len) else { return nil }
            // rtm_table is 8 bits; tables above 255 are only in RTA_TABLE.
            let table = attributes.uint32(Int(RTA_TABLE.rawValue)) ?? UInt32(route.rtm_table)
            return IPv4Route(
                destination: prefix,
                gateway: attributes[Int(RTA_GATEWAY.rawValue)].flatMap { IPv4(bytes: $0) },
                interfaceIndex: attributes.uint32(Int(RTA_OIF.rawValue)).map { Int32(bitPattern: $0) },
                table: table)
        }
    }
}
