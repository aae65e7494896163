import CLinux
import Glibc
import Synchronization
import Testing

@testable import HostOS

/// A transport that answers like the kernel from a script, so encoding,
/// sequence matching and errno mapping are tested without root.
final class ScriptedTransport: NetlinkTransport, @unchecked Sendable {
    let portID: UInt32 = 4242
    private let state = Mutex<(sent: [[UInt8]], queue: [[UInt8]])>(([], []))
    private let answer: @Sendable (_ request: [UInt8]) -> [[UInt8]]

    init(_ answer: @escaping @Sendable (_ request: [UInt8]) -> [[UInt8]]) { self.answer = answer }

    var sent: [[UInt8]] { state.withLock { $0.sent } }

    func send(_ datagram: [UInt8]) throws {
        let replies = answer(datagram)
        state.withLock {
            $0.sent.append(datagram)
            $0.queue.append(contentsOf: replies)
        }
    }

    func receive() throws -> [UInt8] {
        try state.withLock { state in
            guard !state.queue.isEmpty else { throw HostOSError(.timeout, "scripted: nothing queued") }
            return state.queue.removeFirst()
        }
    }
}

/// The header of a datagram we sent.
func header(of datagram: [UInt8]) -> nlmsghdr {
    datagram.withUnsafeBytes { $0.loadUnaligned(as: nlmsghdr.self) }
}

/// The kernel's NLMSG_ERROR for `request`: capped, with an extended-ack
/// message when given, and optionally with a wrong sequence number.
func ack(for request: [UInt8], errno: Int32 = 0, message: String? = nil, sequenceOffset: UInt32 = 0) -> [UInt8] {
    let asked = header(of: request)
    var flags = RT.capped
    if message != nil { flags |= RT.ackTLVs }
    var reply = NetlinkRequest(type: RT.error, flags: flags)
    reply.withHeader { $0.nlmsg_flags = flags }
    var error = nlmsgerr()
    error.error = -errno
    error.msg = asked
    reply.append(error)
    if let message { reply.attribute(Int(NLMSGERR_ATTR_MSG.rawValue), string: message) }
    return reply.finalized(sequence: asked.nlmsg_seq &+ sequenceOffset, port: asked.nlmsg_pid)
}

/// A little-endian u16/u32 as bytes, for spelling expected datagrams.
func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(value >> ($0 * 8) & 0xFF) } }

@Suite struct NetlinkCodecTests {
    @Test func createBridgeSendsExactlyWhatIpLinkAddSends() throws {
        let transport = ScriptedTransport { [ack(for: $0)] }
        let netlink = RTNetlink(transport: transport)
        try netlink.createBridge(try InterfaceName(parsing: "berthdead"))

        let sent = try #require(transport.sent.first)
        let seq = header(of: sent).nlmsg_seq
        var expected: [UInt8] = le32(64) + le16(16) + le16(0x605) + le32(seq) + le32(4242)
        expected += [UInt8](repeating: 0, count: 16)  // ifinfomsg: AF_UNSPEC, index 0
        expected += le16(14) + le16(3) + Array("berthdead".utf8) + [0, 0, 0]  // IFLA_IFNAME, padded
        expected += le16(16) + le16(18)  // IFLA_LINKINFO
        expected += le16(11) + le16(1) + Array("bridge".utf8) + [0, 0]  // IFLA_INFO_KIND
        #expect(sent == expected)
    }

    @Test func anErrnoBecomesAMessageNamingOperationAndObject() throws {
        let netlink = RTNetlink(transport: ScriptedTransport { [ack(for: $0, errno: EEXIST)] })
        let error = try #require(throws: HostOSError.self) {
            try netlink.createBridge(try InterfaceName(parsing: "berth0a1b"))
        }
        #expect(error.description == "netlink: create bridge \"berth0a1b\": File exists (EEXIST)")
    }

    @Test func theExtendedAckTextIsAppended() throws {
        let netlink = RTNetlink(
            transport: ScriptedTransport { [ack(for: $0, errno: ENETUNREACH, message: "Nexthop has invalid gateway")] })
        let error = try #require(throws: HostOSError.self) {
            try netlink.addDefaultRoute(via: try #require(IPv4("10.0.0.1")))
        }
        #expect(
            error.description
                == "netlink: add default route via 10.0.0.1: Network is unreachable (ENETUNREACH): Nexthop has invalid gateway"
        )
    }

    @Test func repliesWithAnotherSequenceNumberAreSkipped() throws {
        // A stale ack for an older request arrives first; only ours counts.
        let netlink = RTNetlink(
            transport: ScriptedTransport { [ack(for: $0, errno: EBUSY, sequenceOffset: 7), ack(for: $0)] })
        try netlink.deleteLink(try InterfaceName(parsing: "berthdead"))
    }

    @Test func linksParsesADumpAcrossDatagramsAndRetriesAnInterruptedOne() throws {
        let attempts = Mutex(0)
        let transport = ScriptedTransport { request in
            let asked = header(of: request)
            let attempt = attempts.withLock {
                $0 += 1
                return $0
            }
            func link(_ index: Int32, _ name: String, kind: String?, up: Bool, master: UInt32?) -> [UInt8] {
                var message = NetlinkRequest(type: RT.newLink, flags: RT.multi)
                message.withHeader { $0.nlmsg_flags = RT.multi | (attempt == 1 ? RT.dumpInterrupted : 0) }
                message.append(ifinfomsg.link(index: index, up: up))
                message.attribute(IFLA_IFNAME, string: name)
                if let master { message.attribute(IFLA_MASTER, uint32: master) }
                if let kind { message.nested(IFLA_LINKINFO) { $0.attribute(IFLA_INFO_KIND, string: kind) } }
                return message.finalized(sequence: asked.nlmsg_seq, port: asked.nlmsg_pid)
            }
            var done = NetlinkRequest(type: RT.done, flags: RT.multi)
            done.withHeader { $0.nlmsg_flags = RT.multi }
            done.append(Int32(0))
            return [
                link(1, "lo", kind: nil, up: true, master: nil)
                    + link(7, "berthbr", kind: "bridge", up: true, master: nil),
                link(8, "berthv", kind: "veth", up: false, master: 7),
                done.finalized(sequence: asked.nlmsg_seq, port: asked.nlmsg_pid),
            ]
        }
        let links = try RTNetlink(transport: transport).links()
        #expect(attempts.withLock { $0 } == 2)
        #expect(
            links == [
                LinkInfo(name: "lo", index: 1, kind: nil, isUp: true, masterIndex: nil),
                LinkInfo(name: "berthbr", index: 7, kind: "bridge", isUp: true, masterIndex: nil),
                LinkInfo(name: "berthv", index: 8, kind: "veth", isUp: false, masterIndex: 7),
            ])
    }

    @Test func routesKeepUnicastOnlyAndReadDestinationGatewayAndTable() throws {
        let transport = ScriptedTransport { request in
            let asked = header(of: request)
            func route(_ dst: String?, _ length: UInt8, via: String?, oif: UInt32, type: Int) -> [UInt8] {
                var message = NetlinkRequest(type: RT.newRoute, flags: RT.multi)
                var info = rtmsg()
                info.rtm_family = UInt8(AF_INET)
                info.rtm_dst_len = length
                info.rtm_table = UInt8(RT_TABLE_MAIN.rawValue)
                info.rtm_type = UInt8(type)
                message.append(info)
                if let dst, let address = IPv4(dst) { message.attribute(Int(RTA_DST.rawValue), address.bytes) }
                if let via, let address = IPv4(via) { message.attribute(Int(RTA_GATEWAY.rawValue), address.bytes) }
                message.attribute(Int(RTA_OIF.rawValue), uint32: oif)
                message.attribute(Int(RTA_TABLE.rawValue), uint32: 254)
                return message.finalized(sequence: asked.nlmsg_seq, port: asked.nlmsg_pid)
            }
            var done = NetlinkRequest(type: RT.done, flags: RT.multi)
            done.append(Int32(0))
            return [
                route(nil, 0, via: "192.0.2.1", oif: 4, type: RTN_UNICAST)
                    + route("192.0.2.0", 24, via: nil, oif: 4, type: RTN_UNICAST)
                    + route("127.0.0.1", 32, via: nil, oif: 1, type: RTN_LOCAL),
                done.finalized(sequence: asked.nlmsg_seq, port: asked.nlmsg_pid),
            ]
        }
        let routes = try RTNetlink(transport: transport).ipv4Routes()
        #expect(
            routes.map(\.description) == ["0.0.0.0/0 via 192.0.2.1 dev 4 table 254", "192.0.2.0/24 dev 4 table 254"])
    }

    @Test func aMissingLinkIsNilForLookupButAnErrorForDelete() throws {
        let netlink = RTNetlink(transport: ScriptedTransport { [ack(for: $0, errno: ENODEV)] })
        let name = try InterfaceName(parsing: "berthgone")
        #expect(try netlink.linkIndex(of: name) == nil)
        let error = try #require(throws: HostOSError.self) { try netlink.deleteLink(name) }
        #expect(error.description == "netlink: delete link \"berthgone\": No such device (ENODEV)")
    }

    @Test func aTruncatedMessageIsAProtocolError() throws {
        let netlink = RTNetlink(transport: ScriptedTransport { _ in [le32(400) + [UInt8](repeating: 0, count: 12)] })
        let error = try #require(throws: HostOSError.self) { try netlink.deleteLink(try InterfaceName(parsing: "x")) }
        #expect(error.code == .protocolViolation)
    }
}
