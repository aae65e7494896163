import CLinux
import Glibc

/// The rtnetlink numbers this module uses, typed once: the C headers give
/// them as `Int` (enum constants) or `Int32` (macros).
enum RT {
    static let newLink = UInt16(RTM_NEWLINK)
    static let delLink = UInt16(RTM_DELLINK)
    static let getLink = UInt16(RTM_GETLINK)
    static let setLink = UInt16(RTM_SETLINK)
    static let newAddr = UInt16(RTM_NEWADDR)
    static let newRoute = UInt16(RTM_NEWROUTE)
    static let getRoute = UInt16(RTM_GETROUTE)

    static let request = UInt16(NLM_F_REQUEST)
    static let ack = UInt16(NLM_F_ACK)
    static let create = UInt16(NLM_F_CREATE)
    static let exclusive = UInt16(NLM_F_EXCL)
    static let dump = UInt16(NLM_F_DUMP)
    static let multi = UInt16(NLM_F_MULTI)
    static let dumpInterrupted = UInt16(NLM_F_DUMP_INTR)
    static let capped = UInt16(NLM_F_CAPPED)
    static let ackTLVs = UInt16(NLM_F_ACK_TLVS)

    static let error = UInt16(NLMSG_ERROR)
    static let done = UInt16(NLMSG_DONE)
    static let noop = UInt16(NLMSG_NOOP)
}

/// One netlink request under construction: header, a fixed family struct,
/// then type-length-value attributes, each padded to 4 bytes.
struct NetlinkRequest {
    /// The bytes so far; the header's length, sequence and port are filled
    /// in by `finalized`.
    private(set) var bytes: [UInt8]

    /// A request of `type` with `flags` (NLM_F_REQUEST is added).
    init(type: UInt16, flags: UInt16) {
        var header = nlmsghdr()
        header.nlmsg_type = type
        header.nlmsg_flags = flags | RT.request
        bytes = []
        bytes.reserveCapacity(256)
        append(header)
    }

    /// Appends a C struct's bytes (ifinfomsg, ifaddrmsg, rtmsg) and pads.
    mutating func append<T: BitwiseCopyable>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        pad()
    }

    /// An attribute with raw payload bytes.
    mutating func attribute(_ type: Int, _ payload: some Collection<UInt8>) {
        var header = rtattr()
        header.rta_len = UInt16(berth_rta_length(payload.count))
        header.rta_type = UInt16(type)
        withUnsafeBytes(of: header) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: payload)
        pad()
    }

    /// A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).
    mutating func attribute(_ type: Int, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    /// A 32-bit attribute in host byte order (indexes, fds).
    mutating func attribute(_ type: Int, uint32 value: UInt32) {
        withUnsafeBytes(of: value) { attribute(type, Array($0)) }
    }

    /// A nested attribute whose payload `body` appends. The nest's length
    /// covers its children and their padding, as the kernel expects.
    mutating func nested(_ type: Int, _ body: (inout NetlinkRequest) -> Void) {
        let start = bytes.count
        attribute(type, [UInt8]())
        body(&self)
        let length = UInt16(truncatingIfNeeded: bytes.count - start)
        withUnsafeBytes(of: length) { raw in
            bytes[start] = raw[0]
            bytes[start + 1] = raw[1]
        }
    }

    /// The finished datagram with length, sequence number and port set.
    func finalized(sequence: UInt32, port: UInt32) -> [UInt8] {
        var result = self
        let length = UInt32(bytes.count)
        result.withHeader {
            $0.nlmsg_len = length
            $0.nlmsg_seq = sequence
            $0.nlmsg_pid = port
        }
        return result.bytes
    }

    /// Edits the header in place.
    mutating func withHeader(_ body: (inout nlmsghdr) -> Void) {
        var header = bytes.withUnsafeBytes { $0.loadUnaligned(as: nlmsghdr.self) }
        body(&header)
        withUnsafeBytes(of: header) { raw in bytes.replaceSubrange(0..<raw.count, with: raw) }
    }

    private mutating func pad() {
        let aligned = berth_nlmsg_align(bytes.count)
        if aligned > bytes.count { bytes.append(contentsOf: repeatElement(0, count: aligned - bytes.count)) }
    }
}

/// One message of a received datagram.
struct NetlinkMessage {
    let type: UInt16
    let flags: UInt16
    let sequence: UInt32
    let port: UInt32
    /// The bytes after the header, up to nlmsg_len (padding excluded).
    let payload: ArraySlice<UInt8>

    /// Splits a datagram into its messages; throws when a length field
    /// points outside it, which only a kernel bug or a fake would send.
    static func split(_ datagram: [UInt8]) throws(HostOSError) -> [NetlinkMessage] {
        let headerSize = MemoryLayout<nlmsghdr>.size
        var messages: [NetlinkMessage] = []
        var offset = 0
        while datagram.count - offset >= headerSize {
            let header = datagram[offset..<offset + headerSize].withUnsafeBytes {
                $0.loadUnaligned(as: nlmsghdr.self)
            }
            let length = Int(header.nlmsg_len)
            guard length >= headerSize, offset + length <= datagram.count else {
                throw HostOSError(
                    .protocolViolation, "netlink: message of \(length) bytes in a \(datagram.count)-byte datagram")
            }
            let payload = datagram[(offset + berth_nlmsg_hdrlen())..<(offset + length)]
            messages.append(
                NetlinkMessage(
                    type: header.nlmsg_type, flags: header.nlmsg_flags,
                    sequence: header.nlmsg_seq, port: header.nlmsg_pid, payload: payload))
            offset += berth_nlmsg_align(length)
        }
        return messages
    }

    /// The fixed family struct at the start of the payload, if it fits.
    func fixed<T: BitwiseCopyable>(_ type: T.Type) -> T? {
        guard payload.count >= MemoryLayout<T>.size else { return nil }
        return payload.prefix(MemoryLayout<T>.size).withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }

    /// The attributes that follow a fixed struct of type `T`.
    func attributes<T>(after _: T.Type) -> NetlinkAttributes {
        let start = payload.startIndex + berth_nlmsg_align(MemoryLayout<T>.size)
        guard start <= payload.endIndex else { return NetlinkAttributes(payload[payload.endIndex...]) }
        return NetlinkAttributes(payload[start...])
    }
}

/// Attributes by type; the last one wins when a type repeats, which no
/// attribute this module reads does.
struct NetlinkAttributes {
    private var table: [UInt16: ArraySlice<UInt8>] = [:]

    /// Parses a run of attributes, stopping at the first malformed one.
    init(_ bytes: ArraySlice<UInt8>) {
        let headerSize = MemoryLayout<rtattr>.size
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= headerSize {
            let header = bytes[offset..<offset + headerSize].withUnsafeBytes { $0.loadUnaligned(as: rtattr.self) }
            let length = Int(header.rta_len)
            guard length >= headerSize, offset + length <= bytes.endIndex else { break }
            table[berth_nla_type(header.rta_type)] = bytes[(offset + berth_rta_length(0))..<(offset + length)]
            offset += berth_rta_align(length)
        }
    }

    /// The raw payload of attribute `type`.
    subscript(type: Int) -> ArraySlice<UInt8>? { table[UInt16(type)] }

    /// A string attribute, up to its NUL.
    func string(_ type: Int) -> String? {
        guard let raw = self[type] else { return nil }
        return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A 32-bit attribute in host byte order.
    func uint32(_ type: Int) -> UInt32? {
        guard let raw = self[type], raw.count >= 4 else { return nil }
        return raw.prefix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    /// The attributes nested inside attribute `type`.
    func nested(_ type: Int) -> NetlinkAttributes? {
        self[type].map(NetlinkAttributes.init)
    }
}

/// The kernel's answer to a request that failed or was acknowledged.
struct NetlinkAck {
    /// 0 for an ack, otherwise a positive errno.
    let errno: Int32
    /// The extended ack's text (NETLINK_EXT_ACK), when the kernel gave one.
    let message: String?

    /// Parses an NLMSG_ERROR payload: `struct nlmsgerr`, then (unless the
    /// socket set NETLINK_CAP_ACK) a copy of our request, then TLVs.
    init?(_ message: NetlinkMessage) {
        guard let error = message.fixed(nlmsgerr.self) else { return nil }
        errno = -error.error
        guard message.flags & RT.ackTLVs != 0 else {
            self.message = nil
            return
        }
        let echoed = message.flags & RT.capped != 0 ? MemoryLayout<nlmsghdr>.size : Int(error.msg.nlmsg_len)
        let start = message.payload.startIndex + MemoryLayout<Int32>.size + berth_nlmsg_align(echoed)
        guard start <= message.payload.endIndex else {
            self.message = nil
            return
        }
        let tlvs = NetlinkAttributes(message.payload[start...])
        self.message = tlvs.string(Int(NLMSGERR_ATTR_MSG.rawValue))
    }
}
