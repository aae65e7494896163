import CLinux
import Glibc
import Synchronization

/// The real `NetlinkSocket`: rtnetlink requests over one socket, each with
/// its own sequence number, answered by an ack or an errno.
///
/// Requests are serialized by a mutex so that one reply stream is never
/// read by two callers; the kernel processes rtnetlink in the sender's
/// context, so a request costs a few microseconds and the lock is short.
public final class RTNetlink: NetlinkSocket, Sendable {
    private struct Connection {
        var transport: any NetlinkTransport
        var sequence: UInt32
    }

    private let connection: Mutex<Connection>

    /// A socket in the calling thread's network namespace.
    public convenience init() throws {
        try self.init(transport: KernelNetlinkTransport())
    }

    /// A client over any transport (a scripted one in unit tests).
    public init(transport: sending any NetlinkTransport) {
        // Start from the clock rather than 1 so a reply to another socket's
        // request can never look like ours, even in a fake or after a bug.
        let start = UInt32(truncatingIfNeeded: Self.monotonicNanoseconds() >> 10)
        connection = Mutex(Connection(transport: transport, sequence: start))
    }

    /// Sends `request` with NLM_F_ACK and waits for the kernel's ack.
    /// Returns any data messages that came before it (a GET's answer).
    ///
    /// `what` becomes the error's message: `netlink: <what>: <errno>`.
    @discardableResult
    func execute(_ request: NetlinkRequest, _ what: @autoclosure () -> String) throws -> [NetlinkMessage] {
        try connection.withLock { connection in
            connection.sequence &+= 1
            let sequence = connection.sequence
            let port = connection.transport.portID
            var flagged = request
            flagged.setFlags(RT.ack)
            try connection.transport.send(flagged.finalized(sequence: sequence, port: port))
            var answers: [NetlinkMessage] = []
            while true {
                for message in try NetlinkMessage.split(connection.transport.receive()) {
                    // A reply to an earlier request that timed out, or a
                    // multicast notification: not ours, skip it.
                    guard message.sequence == sequence, message.port == port else { continue }
                    if message.type == RT.error {
                        guard let ack = NetlinkAck(message) else {
                            throw HostOSError(.protocolViolation, "netlink: \(what()): short error message")
                        }
                        if ack.errno == 0 { return answers }
                        throw HostOSError(.netlink, "netlink: \(what())", errno: ack.errno, detail: ack.message)
                    }
                    if message.type != RT.noop { answers.append(message) }
                }
            }
        }
    }

    /// Sends a NLM_F_DUMP request and collects every message up to
    /// NLMSG_DONE.
    ///
    /// A dump spans several datagrams and the kernel does not lock the
    /// tables between them; when they change mid-dump it flags the result
    /// NLM_F_DUMP_INTR and the only fix is to ask again.
    func dump(_ request: NetlinkRequest, _ what: @autoclosure () -> String) throws -> [NetlinkMessage] {
        for _ in 0..<5 {
            var interrupted = false
            let messages = try connection.withLock { connection in
                connection.sequence &+= 1
                let sequence = connection.sequence
                let port = connection.transport.portID
                var flagged = request
                flagged.setFlags(RT.dump)
                try connection.transport.send(flagged.finalized(sequence: sequence, port: port))
                var answers: [NetlinkMessage] = []
                while true {
                    for message in try NetlinkMessage.split(connection.transport.receive()) {
                        guard message.sequence == sequence, message.port == port else { continue }
                        if message.flags & RT.dumpInterrupted != 0 { interrupted = true }
                        switch message.type {
                        case RT.done:
                            // NLMSG_DONE carries an int: 0, or a negative
                            // errno when the dump itself failed.
                            let status = message.fixed(Int32.self) ?? 0
                            if status < 0 {
                                throw HostOSError(.netlink, "netlink: \(what())", errno: -status)
                            }
                            return answers
                        case RT.error:
                            let ack = NetlinkAck(message)
                            throw HostOSError(
                                .netlink, "netlink: \(what())", errno: ack?.errno ?? EPROTO, detail: ack?.message)
                        case RT.noop:
                            continue
                        default:
                            answers.append(message)
                        }
                    }
                }
            }
            if !interrupted { return messages }
        }
        throw HostOSError(.netlink, "netlink: \(what())", errno: EINTR, detail: "the dump kept changing underneath")
    }

    /// The index of `name`, resolved through the kernel; throws ENODEV
    /// naming the operation when `name` does not exist.
    func requireIndex(of name: InterfaceName, for what: @autoclosure () -> String) throws -> Int32 {
        guard let index = try linkIndex(of: name) else {
            throw HostOSError(.netlink, "netlink: \(what())", errno: ENODEV)
        }
        return index
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}

extension NetlinkRequest {
    /// ORs `flags` into the header (ack or dump, chosen by the caller of
    /// `execute`/`dump` rather than by each operation).
    mutating func setFlags(_ flags: UInt16) {
        withHeader { $0.nlmsg_flags |= flags }
    }

    /// A link-family request: the ifinfomsg every RTM_*LINK message starts
    /// with, selecting the link by index (0 = by IFLA_IFNAME instead).
    static func link(type: UInt16, flags: UInt16 = 0, index: Int32 = 0, up: Bool? = nil) -> NetlinkRequest {
        var request = NetlinkRequest(type: type, flags: flags)
        request.append(ifinfomsg.link(index: index, up: up))
        return request
    }
}

extension ifinfomsg {
    /// An ifinfomsg; `up` sets IFF_UP in ifi_flags and marks it in
    /// ifi_change so the kernel touches that flag alone.
    static func link(index: Int32 = 0, up: Bool? = nil) -> ifinfomsg {
        var info = ifinfomsg()
        info.ifi_family = UInt8(AF_UNSPEC)
        info.ifi_index = index
        if let up {
            info.ifi_change = UInt32(IFF_UP)
            info.ifi_flags = up ? UInt32(IFF_UP) : 0
        }
        return info
    }
}
