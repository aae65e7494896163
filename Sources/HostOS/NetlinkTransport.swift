import CLinux
import Glibc

/// Moves netlink datagrams. The real one is a kernel socket; a unit test
/// scripts the kernel's replies to check encoding and error mapping
/// without root.
public protocol NetlinkTransport {
    /// The port id replies are addressed to (the kernel's nlmsg_pid).
    var portID: UInt32 { get }
    /// Sends one datagram holding one request.
    func send(_ datagram: [UInt8]) throws
    /// Receives one datagram (it may hold several messages).
    func receive() throws -> [UInt8]
}

/// An AF_NETLINK/NETLINK_ROUTE socket.
///
/// A netlink socket belongs for its whole life to the network namespace of
/// the thread that created it, whatever that thread does afterwards. So a
/// socket opened once inside a container's namespace (on a short-lived
/// thread, see `NetworkNamespace.netlink()`) configures that namespace from
/// any thread, with no setns per request.
public final class KernelNetlinkTransport: NetlinkTransport {
    /// The socket.
    public let fd: Int32
    /// Assigned by the kernel at bind time (0 asks it to choose, which
    /// keeps two sockets of one process from clashing on the pid).
    public let portID: UInt32
    private var buffer: [UInt8]

    /// 32 KiB is the largest datagram the kernel builds for a dump (it caps
    /// its skb at the largest buffer we ever read with, up to 32 KiB); 64
    /// KiB leaves room and MSG_TRUNC still catches a short read.
    private static let bufferSize = 65_536

    /// Opens and binds a socket in the calling thread's network namespace.
    ///
    /// `timeoutSeconds` bounds every receive: the kernel answers rtnetlink
    /// synchronously, so a wait this long means a lost reply, and an error
    /// beats a hung daemon.
    public init(timeoutSeconds: Int = 10) throws {
        let fd = try Syscall.check("netlink: open socket") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        }
        do {
            var one: Int32 = 1
            // Extended acks add the kernel's own sentence ("Nexthop has
            // invalid gateway") to a bare errno; capped acks stop it echoing
            // our whole request back in every error.
            for option in [NETLINK_EXT_ACK, NETLINK_CAP_ACK] {
                try Syscall.check("netlink: setsockopt \(option)") {
                    setsockopt(fd, SOL_NETLINK, option, &one, socklen_t(MemoryLayout<Int32>.size))
                }
            }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            try Syscall.check("netlink: set receive timeout") {
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            }
            var address = sockaddr_nl()
            address.nl_family = sa_family_t(AF_NETLINK)
            var length = socklen_t(MemoryLayout<sockaddr_nl>.size)
            try Syscall.check("netlink: bind") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
                }
            }
            try Syscall.check("netlink: getsockname") {
                withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
            }
            self.fd = fd
            self.portID = address.nl_pid
            self.buffer = [UInt8](repeating: 0, count: Self.bufferSize)
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    deinit { Syscall.close(fd) }

    /// Sends to the kernel (port 0).
    public func send(_ datagram: [UInt8]) throws {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = try Syscall.check("netlink: send") {
            datagram.withUnsafeBytes { raw in
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        if sent != datagram.count {
            throw HostOSError(.protocolViolation, "netlink: sent \(sent) of \(datagram.count) bytes")
        }
    }

    /// Receives one datagram; MSG_TRUNC makes recv report the real size,
    /// so a datagram larger than the buffer is an error, not silent loss.
    public func receive() throws -> [UInt8] {
        let fd = self.fd
        let received = Syscall.retrying {
            buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) }
        }
        if received == -1 {
            let failure = errno
            if failure == EAGAIN || failure == EWOULDBLOCK {
                throw HostOSError(.timeout, "netlink: no reply from the kernel")
            }
            throw HostOSError.syscall("netlink: receive", errno: failure)
        }
        if received > buffer.count {
            throw HostOSError(
                .protocolViolation, "netlink: reply of \(received) bytes exceeds the \(buffer.count)-byte buffer")
        }
        return Array(buffer[0..<received])
    }
}
