import EmbeddedDNS
import NIOCore
import TestSupport
import Testing

/// The server on 127.0.0.1, asked by real `dig`. The loopback range stands
/// in for container networks: 127.0.0.2/32 is network A, 127.0.0.3/32 is
/// network B, and `dig -b` picks which container is asking.
@Suite("Server answers dig", .enabled(if: Dig.available, "needs dig (Debian dnsutils)"))
struct ServerTests {
    static func configuration() throws -> DNSServer.Configuration {
        let records = DNSRecords()
        try records.set(
            network: "a", subnet: try subnet("127.0.0.2/32"),
            records: [
                "web": [try ip("192.0.2.11"), try ip("192.0.2.12"), try ip("192.0.2.13")],
                "shop-web-1": [try ip("192.0.2.11")],
                "big": (1...100).map { IPv4Address(198, 18, 0, UInt8($0)) },
            ])
        try records.set(network: "b", subnet: try subnet("127.0.0.3/32"), records: ["db": [try ip("192.0.2.21")]])
        return DNSServer.Configuration(records: records)
    }

    @Test("A for a service with several replicas returns every address")
    func replicas() async throws {
        try await withServer(try Self.configuration()) { _, port in
            let answer = try await Dig.query("web", port: port, options: ["-b", "127.0.0.2"])
            #expect(answer.status == "NOERROR")
            #expect(Set(answer.data(of: "A")) == ["192.0.2.11", "192.0.2.12", "192.0.2.13"], "\(answer.output)")
            #expect(answer.flags.contains("aa"))
        }
    }

    @Test("each client sees only the names on its own network")
    func scoping() async throws {
        try await withServer(try Self.configuration()) { _, port in
            let aWeb = try await Dig.query("web", port: port, options: ["-b", "127.0.0.2"])
            let aDB = try await Dig.query("db", port: port, options: ["-b", "127.0.0.2"])
            let bDB = try await Dig.query("db", port: port, options: ["-b", "127.0.0.3"])
            let bWeb = try await Dig.query("web", port: port, options: ["-b", "127.0.0.3"])
            #expect(aWeb.data(of: "A").count == 3)
            #expect(aDB.status == "NXDOMAIN")
            #expect(bDB.data(of: "A") == ["192.0.2.21"])
            #expect(bWeb.status == "NXDOMAIN")
        }
    }

    @Test("AAAA for a known name is NOERROR with no answers (NODATA)")
    func aaaaNodata() async throws {
        try await withServer(try Self.configuration()) { _, port in
            let answer = try await Dig.query("WEB.", "AAAA", port: port, options: ["-b", "127.0.0.2"])
            #expect(answer.status == "NOERROR")
            #expect(answer.records.isEmpty, "\(answer.output)")
        }
    }

    @Test("PTR for a container address answers its container name")
    func ptr() async throws {
        try await withServer(try Self.configuration()) { _, port in
            let answer = try await Dig.query(
                "11.2.0.192.in-addr.arpa", "PTR", port: port, options: ["-b", "127.0.0.2"])
            #expect(answer.data(of: "PTR") == ["shop-web-1."], "\(answer.output)")
            let viaX = try await Dig.query(
                "192.0.2.21", "PTR", port: port, options: ["-b", "127.0.0.3", "-x", "192.0.2.21"])
            #expect(viaX.data(of: "PTR") == ["db."], "\(viaX.output)")
        }
    }

    @Test("an unknown name is NXDOMAIN when there is no upstream")
    func nxdomain() async throws {
        try await withServer(try Self.configuration()) { _, port in
            let answer = try await Dig.query("nothing.example", port: port, options: ["-b", "127.0.0.2"])
            #expect(answer.status == "NXDOMAIN")
            #expect(!answer.flags.contains("ra"))
        }
    }

    @Test("100 addresses over UDP come back truncated with TC; over TCP all come back")
    func truncationAndTCP() async throws {
        try await withServer(try Self.configuration()) { _, port in
            // +ignore: report the truncated reply instead of retrying over TCP.
            let udp = try await Dig.query("big", port: port, options: ["-b", "127.0.0.2", "+ignore", "+bufsize=1232"])
            #expect(udp.flags.contains("tc"), "\(udp.output)")
            #expect(udp.data(of: "A").count < 100)
            let plain = try await Dig.query("big", port: port, options: ["-b", "127.0.0.2", "+ignore", "+noedns"])
            #expect(plain.flags.contains("tc"))
            #expect(plain.data(of: "A").count == (512 - 12 - 9) / 16)
            let tcp = try await Dig.query("big", port: port, options: ["-b", "127.0.0.2", "+tcp"])
            #expect(!tcp.flags.contains("tc"))
            #expect(tcp.data(of: "A").count == 100)
            // A client that offers 4096 bytes gets everything over UDP.
            let large = try await Dig.query(
                "big", port: port, options: ["-b", "127.0.0.2", "+ignore", "+bufsize=4096"])
            #expect(!large.flags.contains("tc"))
            #expect(large.data(of: "A").count == 100)
        }
    }

    @Test("listeners come and go with networks while the server runs")
    func listeners() async throws {
        try await withServer(try Self.configuration()) { server, port in
            let extra = try await server.addListener(try SocketAddress(ipAddress: "127.0.0.4", port: 0))
            let extraPort = try #require(extra.port)
            let answer = try await Dig.query("web", port: extraPort, server: "127.0.0.4", options: ["-b", "127.0.0.2"])
            #expect(answer.data(of: "A").count == 3)
            #expect(await server.listeningAddresses.count == 2)
            await server.removeListener(extra)
            #expect(await server.listeningAddresses.count == 1)
            await #expect(throws: TestFailure.self) {
                _ = try await Dig.query("web", port: extraPort, server: "127.0.0.4", options: ["-b", "127.0.0.2"])
            }
            // The first listener still answers.
            #expect(try await Dig.query("web", port: port, options: ["-b", "127.0.0.2"]).data(of: "A").count == 3)
        }
    }
}
