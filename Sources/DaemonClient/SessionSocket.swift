import BerthModel
import DaemonAPI
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The client's end of a session (`SessionEndpoint`): a plain blocking
/// socket, not NIO, so that a keystroke goes from a read of the terminal
/// to a write of the socket with nothing in between. Writes may come from
/// several threads (input, window changes, signals); each frame goes out whole.
public final class SessionSocket: Sendable {
    /// The connected socket.
    public let descriptor: Int32
    /// Bytes that came with the `101` and already belong to the frames.
    private let early: Mutex<[UInt8]>
    private let writing = Mutex(())
    private let path: String

    init(descriptor: Int32, early: [UInt8], path: String) {
        self.descriptor = descriptor
        self.early = Mutex(early)
        self.path = path
    }

    /// Sends one frame; false once the connection is gone.
    @discardableResult
    public func send(_ frame: SessionFrame) -> Bool {
        let bytes = frame.encoded()
        return writing.withLock { _ in
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return Glibc.send(descriptor, base + written, raw.count - written, Int32(MSG_NOSIGNAL))
                }
                if n > 0 {
                    written += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// The next bytes from berthd: empty at the end of the connection.
    public func receive(into buffer: inout [UInt8]) -> Int {
        let pending = early.withLock { early -> [UInt8] in
            defer { early = [] }
            return early
        }
        if !pending.isEmpty {
            if buffer.count < pending.count { buffer = [UInt8](repeating: 0, count: pending.count) }
            buffer.replaceSubrange(0..<pending.count, with: pending)
            return pending.count
        }
        while true {
            let n = read(descriptor, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            return max(0, n)
        }
    }

    /// Stops both directions: a blocked `receive` returns at once.
    public func shutdownBoth() { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// Closes the socket.
    public func close() { _ = Glibc.close(descriptor) }

    /// The error for a connection that ended without an `exit` frame.
    public func lost() -> BerthError {
        BerthError(.daemonConnectionLost, "berthd closed the session \(path) before the process ended")
    }
}

extension DaemonConnection {
    /// Opens a session: sends `request`, waits for the `101`, and returns
    /// the socket, from then on a stream of frames. An error status throws
    /// the `BerthError` it carries.
    public func openSession<Request>(_ endpoint: SessionEndpoint<Request>, _ request: Request) throws -> SessionSocket {
        let path = endpoint.path
        let body: [UInt8]
        if let checked = request as? any ValidatedRequest { try checked.validate() }
        do {
            body = try WireJSON.encode(request)
        } catch {
            throw BerthError(.daemonProtocol, "cannot encode the request of POST \(path)", cause: "\(error)")
        }
        let fd = try connectBlocking()
        do {
            let head =
                "POST \(path) HTTP/1.1\r\nHost: berthd\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.count)\r\nConnection: Upgrade\r\n"
                + "Upgrade: \(SessionEndpoint<Request>.upgradeProtocol)\r\n\r\n"
            try writeAll(fd, Array(head.utf8) + body, path)
            let (status, rest) = try readHead(fd, path)
            guard status == 101 else {
                let error = try errorBody(fd, rest, status: status, path)
                _ = Glibc.close(fd)
                throw error
            }
            return SessionSocket(descriptor: fd, early: rest, path: path)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    private func connectBlocking() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError(.daemonUnreachable, "cannot make a socket to reach berthd") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            _ = Glibc.close(fd)
            throw BerthError(
                .usage, "berthd's socket path \(socketPath) is too long for a unix socket (107 bytes at most)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let err = errno
            _ = Glibc.close(fd)
            throw BerthError(
                .daemonUnreachable, "cannot connect to berthd at \(socketPath)", cause: String(cString: strerror(err)))
        }
        return fd
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                written += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw connectionLost(path, cause: String(cString: strerror(errno)))
            }
        }
    }

    /// The status of the answer's head, and the bytes read past it.
    private func readHead(_ fd: Int32, _ path: String) throws -> (Int, [UInt8]) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = [13, 10, 13, 10]
        while true {
            if let range = bytes.firstRange(of: end) {
                let head = String(decoding: bytes[..<range.lowerBound], as: UTF8.self)
                let words = head.split(separator: " ", maxSplits: 2)
                guard words.count >= 2, let status = Int(words[1]) else {
                    throw protocolViolation(path, "a head that is not HTTP", cause: String(head.prefix(200)))
                }
                return (status, Array(bytes[range.upperBound...]))
            }
            guard bytes.count < 65536 else { throw protocolViolation(path, "a head of more than 64 KiB") }
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw connectionLost(path, cause: "no answer") }
            bytes += buffer[0..<n]
        }
    }

    /// The `BerthError` in the body of an error answer (read to its end:
    /// berthd closes the connection after it).
    private func errorBody(_ fd: Int32, _ rest: [UInt8], status: Int, _ path: String) throws -> BerthError {
        var body = rest
        var buffer = [UInt8](repeating: 0, count: 4096)
        while body.count < 1 << 20 {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            body += buffer[0..<n]
        }
        if let error = try? WireJSON.decode(BerthError.self, from: body) { return error }
        return protocolViolation(
            path, "status \(status) without an error in its body",
            cause: String(decoding: body.prefix(200), as: UTF8.self))
    }
}
