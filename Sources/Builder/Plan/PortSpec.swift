/// `EXPOSE` port specs: `80`, `80/udp`, `8000-8010/tcp`. BuildKit still
/// accepts (and ignores) an IP and a host port in front
/// (`127.0.0.1:8080:80`), which its linter warns about; so does this.
enum PortSpec {
    /// The `port/proto` entries of one spec, a range expanded.
    static func exposed(_ spec: String) throws(WordError) -> [String] {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let containerPart = parts[parts.count - 1]
        let hostPart = parts.count >= 2 ? parts[parts.count - 2] : ""
        let address = parts.count >= 3 ? parts[..<(parts.count - 2)].joined(separator: ":") : ""
        let (port, proto) = try splitProtocol(containerPart)
        if !address.isEmpty, !isIPAddress(address) { throw WordError(message: "invalid IP address \(address)") }
        let (start, end) = try range(port)
        if !hostPart.isEmpty {
            let (hostStart, hostEnd) = try range(hostPart)
            if end - start != hostEnd - hostStart && end != start {
                throw WordError(message: "the container range \(port) and the host range \(hostPart) differ in size")
            }
        }
        return (start...end).map { "\($0)/\(proto.lowercased())" }
    }

    private static func splitProtocol(_ text: String) throws(WordError) -> (String, String) {
        let pieces = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard !pieces[0].isEmpty else { throw WordError(message: "no port given") }
        let proto = pieces.count > 1 ? pieces[1] : ""
        switch proto.lowercased() {
        case "": return (pieces[0], "tcp")
        case "tcp", "udp", "sctp": return (pieces[0], proto)
        default: throw WordError(message: "unknown protocol \(proto) (tcp, udp or sctp)")
        }
    }

    private static func range(_ text: String) throws(WordError) -> (Int, Int) {
        let pieces = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let start = try number(pieces[0])
        guard pieces.count == 2, pieces[0] != pieces[1] else { return (start, start) }
        let end = try number(pieces[1])
        guard end >= start else { throw WordError(message: "the range \(text) ends before it starts") }
        return (start, end)
    }

    private static func number(_ text: String) throws(WordError) -> Int {
        guard !text.isEmpty else { throw WordError(message: "empty port number") }
        guard let value = Int(text) else { throw WordError(message: "\(text) is not a number") }
        guard (0...65535).contains(value) else { throw WordError(message: "\(text) is out of range (0-65535)") }
        return value
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var address = text
        if address.hasPrefix("["), address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        if address.contains(":") {
            return address.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil }
    }
}
