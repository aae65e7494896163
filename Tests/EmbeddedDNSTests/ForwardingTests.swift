import EmbeddedDNS
import NIOCore
import NIOPosix
import Testing

/// Names outside the table go to the upstream resolvers; a dnsmasq on
/// 127.0.0.1 plays the host's resolver, started and killed by each test.
@Suite("Forwarding to upstream resolvers", .enabled(if: Dnsmasq.available, "needs dnsmasq (dnsmasq-base) and dig"))
struct ForwardingTests {
    static func configuration(upstreamPort: Int) throws -> DNSServer.Configuration {
        let records = DNSRecords()
        try records.set(network: "a", subnet: try subnet("127.0.0.0/8"), records: ["web": [try ip("192.0.2.11")]])
        var configuration = DNSServer.Configuration(
            records: records, upstreams: [try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort)])
        configuration.upstreamTimeout = .seconds(2)
        return configuration
    }

    @Test("a name outside the table is answered by the upstream")
    func forwards() async throws {
        try await Dnsmasq.with(["--address=/upstream.test/10.9.8.7", "--address=/gone.test/"], probe: "upstream.test") {
            upstream in
            try await withServer(try Self.configuration(upstreamPort: upstream)) { _, port in
                let answer = try await Dig.query("upstream.test", port: port)
                #expect(answer.status == "NOERROR")
                #expect(answer.data(of: "A") == ["10.9.8.7"], "\(answer.output)")
                #expect(answer.flags.contains("ra"))
                // Table names still win, and upstream's NXDOMAIN comes through.
                #expect(try await Dig.query("web", port: port).data(of: "A") == ["192.0.2.11"])
                #expect(try await Dig.query("gone.test", port: port).status == "NXDOMAIN")
                // And over TCP from the client.
                #expect(
                    try await Dig.query("upstream.test", port: port, options: ["+tcp"]).data(of: "A") == ["10.9.8.7"])
            }
        }
    }

    @Test("a client with servers of its own (dns:) has its other names asked there")
    func perClientUpstreams() async throws {
        let deadPort = try await freeLoopbackPort()
        try await Dnsmasq.with(["--address=/own.test/10.1.2.3"], probe: "own.test") { own in
            let configuration = try Self.configuration(upstreamPort: deadPort)
            configuration.records.setClientUpstreams([
                try ip("127.0.0.1"): [try SocketAddress(ipAddress: "127.0.0.1", port: own)]
            ])
            try await withServer(configuration) { _, port in
                let answer = try await Dig.query("own.test", port: port)
                #expect(answer.data(of: "A") == ["10.1.2.3"], "\(answer.output)")
                // The project's names are still the table's.
                #expect(try await Dig.query("web", port: port).data(of: "A") == ["192.0.2.11"])
                configuration.records.setClientUpstreams([:])
                #expect(try await Dig.query("own.test", port: port).status == "SERVFAIL", "the host's upstream is down")
            }
        }
    }

    @Test("SERVFAIL when the upstream is down")
    func upstreamDown() async throws {
        let deadPort = try await freeLoopbackPort()
        try await withServer(try Self.configuration(upstreamPort: deadPort)) { _, port in
            let answer = try await Dig.query("upstream.test", port: port)
            #expect(answer.status == "SERVFAIL")
            // The table does not depend on the upstream.
            #expect(try await Dig.query("web", port: port).data(of: "A") == ["192.0.2.11"])
        }
    }

    @Test("a truncated upstream reply is fetched again over TCP")
    func upstreamTruncation() async throws {
        let hosts = (1...100).map { "198.18.1.\($0) many.test" }
        try await Dnsmasq.withHostsFile(hosts) { path in
            try await Dnsmasq.with(["--addn-hosts=\(path)"], probe: "many.test") { upstream in
                // Straight at the forwarder, with no EDNS: dnsmasq's UDP reply
                // is cut at 512 bytes, so only the TCP retry gets all 100.
                let forwarder = ForwardingResolver(upstreams: [
                    try SocketAddress(ipAddress: "127.0.0.1", port: upstream)
                ])
                let message = DNSMessage(
                    id: 77, recursionDesired: true, questions: [DNSQuestion(name: try DNSName("many.test"), type: .a)])
                let query = try #require(
                    DNSQuery(
                        message: message, wire: try message.encoded(),
                        source: try SocketAddress(ipAddress: "127.0.0.1", port: 1), local: nil, transport: .udp))
                let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
                let reply = try await forwarder.resolve(query, on: eventLoop).future(on: eventLoop).get()
                guard case .wire(let bytes) = reply else {
                    Issue.record("expected the upstream's bytes, got \(String(describing: reply))")
                    return
                }
                let decoded = try DNSMessage(decoding: bytes)
                #expect(decoded.id == 77)
                #expect(!decoded.isTruncated)
                #expect(decoded.answers.count == 100)

                // Through the server: UDP without EDNS gets TC, TCP gets all.
                try await withServer(try Self.configuration(upstreamPort: upstream)) { _, port in
                    let udp = try await Dig.query("many.test", port: port, options: ["+noedns", "+ignore"])
                    #expect(udp.flags.contains("tc"))
                    let tcp = try await Dig.query("many.test", port: port, options: ["+tcp"])
                    #expect(tcp.data(of: "A").count == 100)
                }
            }
        }
    }

    @Test("an upstream that is this very listener is skipped rather than asked")
    func skipsItself() async throws {
        // The listener's own address as the only upstream: asking it would
        // loop until the timeout, so the forwarder answers SERVFAIL at once.
        let own = try SocketAddress(ipAddress: "127.0.0.1", port: 53)
        let forwarder = ForwardingResolver(upstreams: [own], timeout: .seconds(30))
        let message = DNSMessage(id: 3, questions: [DNSQuestion(name: try DNSName("anything.test"), type: .a)])
        let query = try #require(
            DNSQuery(
                message: message, wire: try message.encoded(),
                source: try SocketAddress(ipAddress: "127.0.0.2", port: 1), local: own, transport: .udp))
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let reply = try await forwarder.resolve(query, on: eventLoop).future(on: eventLoop).get()
        guard case .message(let answer) = reply else {
            Issue.record("expected SERVFAIL, got \(String(describing: reply))")
            return
        }
        #expect(answer.responseCode == .serverFailure)
    }
}
