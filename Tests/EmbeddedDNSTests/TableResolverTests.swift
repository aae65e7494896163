import EmbeddedDNS
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// The table and its resolver, without sockets: what a query from a given
/// source address is answered.
@Suite("Table resolver")
struct TableResolverTests {
    /// Network "front" is 172.30.1.0/24, "back" 172.30.2.0/24; `web` has
    /// three replicas on front, `db` lives on back only.
    static func records() throws -> DNSRecords {
        let records = DNSRecords()
        try records.set(
            network: "front", subnet: try subnet("172.30.1.0/24"),
            records: [
                "web": [try ip("172.30.1.2"), try ip("172.30.1.3"), try ip("172.30.1.4")],
                "shop-web-1": [try ip("172.30.1.2")],
                "shop-web-2": [try ip("172.30.1.3")],
                "shop-web-3": [try ip("172.30.1.4")],
                "Cache.": [try ip("172.30.1.9")],
            ])
        try records.set(network: "back", subnet: try subnet("172.30.2.0/24"), records: ["db": [try ip("172.30.2.2")]])
        return records
    }

    static func ask(_ name: String, _ type: DNSRecordType, from source: String, records: DNSRecords) throws
        -> DNSMessage?
    {
        let message = DNSMessage(
            id: 1, recursionDesired: true, questions: [DNSQuestion(name: try DNSName(name), type: type)])
        guard
            let query = DNSQuery(
                message: message, wire: try message.encoded(),
                source: try SocketAddress(ipAddress: source, port: 40000),
                local: nil, transport: .udp)
        else { throw TestFailure("query did not build") }
        return TableResolver(records: records).answer(query)
    }

    @Test("a service name answers every replica, in varying order")
    func allReplicas() throws {
        let records = try Self.records()
        var orders: Set<[IPv4Address]> = []
        for _ in 0..<50 {
            let reply = try #require(try Self.ask("web", .a, from: "172.30.1.7", records: records))
            let addresses = reply.answers.compactMap { if case .a(let a) = $0.data { a } else { nil } }
            #expect(Set(addresses) == [try ip("172.30.1.2"), try ip("172.30.1.3"), try ip("172.30.1.4")])
            #expect(addresses.count == 3)
            orders.insert(addresses)
        }
        #expect(orders.count > 1, "50 answers came back in one order: not shuffled")
    }

    @Test("names match without regard to case or a trailing dot, and answers echo the asker's spelling")
    func caseAndDot() throws {
        let records = try Self.records()
        let reply = try #require(try Self.ask("CACHE.", .a, from: "172.30.1.7", records: records))
        #expect(reply.answers.map(\.name.description) == ["CACHE."])
        #expect(reply.isAuthoritative)
        #expect(try Self.ask("cache", .a, from: "172.30.1.7", records: records)?.answers.count == 1)
    }

    @Test("a client sees only the names of networks whose subnet holds its address")
    func scoping() throws {
        let records = try Self.records()
        #expect(try Self.ask("db", .a, from: "172.30.1.7", records: records) == nil)
        #expect(try Self.ask("web", .a, from: "172.30.2.7", records: records) == nil)
        #expect(try Self.ask("db", .a, from: "172.30.2.7", records: records)?.answers.count == 1)
        #expect(try Self.ask("web", .a, from: "10.0.0.1", records: records) == nil)
    }

    @Test("a client on two networks sees both, each address once")
    func twoNetworks() throws {
        let records = DNSRecords()
        try records.set(network: "a", subnet: try subnet("10.0.0.0/8"), records: ["x": [try ip("10.0.0.5")]])
        try records.set(
            network: "b", subnet: try subnet("10.1.0.0/16"), records: ["x": [try ip("10.0.0.5"), try ip("10.1.0.5")]])
        let reply = try #require(try Self.ask("x", .a, from: "10.1.0.9", records: records))
        #expect(reply.answers.count == 2)
    }

    @Test("a container on two networks resolves the names of both from either of its addresses")
    func memberships() throws {
        let records = try Self.records()
        // 172.30.1.9 and 172.30.2.9 are one container's addresses on front and back.
        records.setMemberships([try ip("172.30.1.9"): ["front", "back"], try ip("172.30.2.9"): ["front", "back"]])
        #expect(try Self.ask("db", .a, from: "172.30.1.9", records: records)?.answers.count == 1)
        #expect(try Self.ask("db", .a, from: "172.30.2.9", records: records)?.answers.count == 1)
        // Its neighbours on front alone still see front alone.
        #expect(try Self.ask("db", .a, from: "172.30.1.7", records: records) == nil)
    }

    @Test("AAAA and other types of a known name are NODATA, not NXDOMAIN")
    func nodata() throws {
        let records = try Self.records()
        for type in [DNSRecordType.aaaa, .mx, .txt] {
            let reply = try #require(try Self.ask("web", type, from: "172.30.1.7", records: records))
            #expect(reply.responseCode == .noError)
            #expect(reply.answers.isEmpty)
        }
    }

    @Test("PTR answers the container name; an unassigned address in the subnet is NXDOMAIN; others pass")
    func reverse() throws {
        let records = try Self.records()
        let reply = try #require(try Self.ask("3.1.30.172.in-addr.arpa", .ptr, from: "172.30.1.7", records: records))
        #expect(reply.answers.map(\.data) == [.ptr(try DNSName("shop-web-2"))])
        let unassigned = try #require(
            try Self.ask("99.1.30.172.in-addr.arpa", .ptr, from: "172.30.1.7", records: records))
        #expect(unassigned.responseCode == .nameError)
        #expect(try Self.ask("2.2.30.172.in-addr.arpa", .ptr, from: "172.30.1.7", records: records) == nil)
        #expect(try Self.ask("8.8.8.8.in-addr.arpa", .ptr, from: "172.30.1.7", records: records) == nil)
    }

    @Test("removing a network removes its names; a bad name is refused and changes nothing")
    func updates() throws {
        let records = try Self.records()
        records.remove(network: "back")
        #expect(records.networkIDs == ["front"])
        #expect(try Self.ask("db", .a, from: "172.30.2.7", records: records) == nil)
        #expect(throws: DNSError.self) {
            try records.set(network: "front", subnet: try subnet("172.30.1.0/24"), records: ["bad..name": []])
        }
        #expect(try Self.ask("web", .a, from: "172.30.1.7", records: records)?.answers.count == 3)
    }

    @Test("the chain passes unknown names to the next resolver")
    func chain() throws {
        let records = try Self.records()
        let chain = CompositeResolver([TableResolver(records: records), NameErrorResolver()])
        let message = DNSMessage(id: 5, questions: [DNSQuestion(name: try DNSName("elsewhere.example"), type: .a)])
        let query = try #require(
            DNSQuery(
                message: message, wire: try message.encoded(),
                source: try SocketAddress(ipAddress: "172.30.1.7", port: 1),
                local: nil, transport: .udp))
        guard case .answer(.message(let reply)) = chain.resolve(query, on: NIOSingletons.posixEventLoopGroup.next())
        else {
            Issue.record("expected an immediate answer")
            return
        }
        #expect(reply.responseCode == .nameError)
        #expect(reply.id == 5)
    }
}
