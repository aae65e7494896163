// The embedded DNS server alone, for scripts/bench/dns.sh: serves N names
// from its table on 127.0.0.1:PORT (UDP and TCP) until it is killed.
//
//   berth-dns-bench [--port PORT] [--names N] [--address ADDRESS]
//
// Name i is `name-<i>.bench` with address 198.18.x.y (RFC 2544's benchmark
// range: data only, no traffic goes there). The whole of 127.0.0.0/8 is the
// network's subnet, so every loopback client sees the names.
import EmbeddedDNS
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Command-line options, each with its default.
struct Options {
    var port = 5300
    var names = 1000
    var address = "127.0.0.1"

    /// Parses `--name value` pairs; nil (after a message) on anything else.
    init?(_ arguments: [String]) {
        var remaining = arguments[...]
        while let flag = remaining.popFirst() {
            guard let value = remaining.popFirst() else {
                print("berth-dns-bench: \(flag) needs a value")
                return nil
            }
            switch flag {
            case "--port":
                guard let port = Int(value), (0...65535).contains(port) else {
                    print("berth-dns-bench: --port \(value) is not a port")
                    return nil
                }
                self.port = port
            case "--names":
                guard let names = Int(value), (1...65536).contains(names) else {
                    print("berth-dns-bench: --names \(value) is not between 1 and 65536")
                    return nil
                }
                self.names = names
            case "--address":
                address = value
            default:
                print("berth-dns-bench: unknown option \(flag)")
                return nil
            }
        }
    }
}

guard let options = Options(Array(CommandLine.arguments.dropFirst())),
    let subnet = IPv4Subnet("127.0.0.0/8")
else { exit(2) }

var table: [String: [IPv4Address]] = [:]
for index in 0..<options.names {
    table["name-\(index).bench"] = [
        IPv4Address(
            198, 18 + UInt8(index >> 16), UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index))
    ]
}

let records = DNSRecords()
do {
    try records.set(network: "bench", subnet: subnet, records: table)
    let address = try SocketAddress(ipAddress: options.address, port: options.port)
    let server = DNSServer(configuration: .init(records: records))
    let bound = try await server.start(addresses: [address])
    // For a person watching; scripts/bench/dns.sh waits until dig gets an answer.
    print("berth-dns-bench: serving \(options.names) names on \(bound.map { "\($0)" }.joined(separator: ", "))")
    fflush(nil)  // stdout is a pipe: flush so the script sees the line now
    while true { try await Task.sleep(for: .seconds(3600)) }
} catch {
    print("berth-dns-bench: \(error)")
    exit(1)
}
