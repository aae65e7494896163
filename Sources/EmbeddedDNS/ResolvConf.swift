import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's upstream resolvers, as `nameserver` lines of a resolv.conf.
public enum ResolvConf {
    /// The file the host's stub resolver reads.
    public static let defaultPath = "/etc/resolv.conf"

    /// The `nameserver` addresses in the file at `path`, port 53, in file
    /// order. Lines that do not parse are skipped, as glibc skips them; a
    /// missing file gives an empty list (glibc then asks 127.0.0.1, which
    /// would be a guess here), and an unreadable one throws.
    public static func upstreams(path: String = defaultPath) throws(DNSError) -> [SocketAddress] {
        guard let text = try readFile(path) else { return [] }
        return upstreams(parsing: text)
    }

    /// The `nameserver` addresses in resolv.conf text, port 53.
    public static func upstreams(parsing text: String) -> [SocketAddress] {
        var found: [SocketAddress] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            // A zoned link-local upstream (`fe80::1%eth0`) is skipped: NIO's
            // parser would drop the zone, leaving an address with no route.
            guard !fields[1].contains("%"),
                let address = try? SocketAddress(ipAddress: String(fields[1]), port: 53)
            else { continue }
            if !found.contains(address) { found.append(address) }
        }
        return found
    }

    /// The file's contents, or nil when it does not exist.
    private static func readFile(_ path: String) throws(DNSError) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw DNSError(.io, "reading upstream resolvers from \(path): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw DNSError(.io, "reading upstream resolvers from \(path): \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
