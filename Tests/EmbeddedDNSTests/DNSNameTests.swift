import EmbeddedDNS
import Testing

@Suite("DNSName")
struct DNSNameTests {
    @Test("parses dotted text with or without a trailing dot")
    func parsesText() throws {
        let name = try DNSName("Web.Shop_Default")
        #expect(name.labels == ["Web", "Shop_Default"])
        #expect(name.description == "Web.Shop_Default.")
        #expect(try DNSName("web.shop_default.") == name)
        #expect(try DNSName(".") == DNSName.root)
        #expect(DNSName.root.description == ".")
    }

    @Test("compares and hashes without regard to ASCII case")
    func caseInsensitive() throws {
        let table: [DNSName: Int] = [try DNSName("db"): 1]
        #expect(table[try DNSName("DB.")] == 1)
        #expect(try DNSName("db") != DNSName("db2"))
    }

    @Test("rejects empty labels, labels over 63 bytes and names over 255 bytes")
    func rejectsBadNames() throws {
        #expect(throws: DNSError.self) { try DNSName("a..b") }
        #expect(throws: DNSError.self) { try DNSName("") }
        #expect(throws: DNSError.self) { try DNSName(String(repeating: "x", count: 64)) }
        #expect(throws: Never.self) { try DNSName(String(repeating: "x", count: 63)) }
        // 4 labels of 63 = 256 bytes with lengths, 257 with the root: too long.
        let long = Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: ".")
        #expect(throws: DNSError.self) { try DNSName(long) }
        // 3 × 64 + 62 = 254, plus the root byte: exactly 255.
        let longest =
            Array(repeating: String(repeating: "x", count: 63), count: 3).joined(separator: ".") + "."
            + String(repeating: "y", count: 61)
        #expect(throws: Never.self) { try DNSName(longest) }
    }

    @Test("escapes dots, backslashes and unprintable bytes in its description")
    func escapes() throws {
        var buffer = [UInt8]([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0])
        buffer += [3, UInt8(ascii: "a"), UInt8(ascii: "."), 0x07, 0, 0, 1, 0, 1]
        let message = try DNSMessage(decoding: .init(bytes: buffer))
        #expect(message.questions.first?.name.description == "a\\.\\007.")
    }

    @Test("maps IPv4 addresses to and from in-addr.arpa names")
    func reversePointers() throws {
        let address = try ip("192.0.2.17")
        let name = DNSName(reversePointerFor: address)
        #expect(name.description == "17.2.0.192.in-addr.arpa.")
        #expect(name.reversePointerAddress == address)
        #expect(try DNSName("17.2.0.192.IN-ADDR.ARPA").reversePointerAddress == address)
        #expect(try DNSName("2.0.192.in-addr.arpa").reversePointerAddress == nil)
        #expect(try DNSName("x.2.0.192.in-addr.arpa").reversePointerAddress == nil)
        #expect(try DNSName("web").reversePointerAddress == nil)
    }
}

@Suite("IP addresses and subnets")
struct IPAddressTests {
    @Test("parses dotted quads strictly")
    func parsesIPv4() {
        #expect(IPv4Address("172.30.1.5")?.rawValue == 0xAC1E_0105)
        #expect(IPv4Address("172.30.1.5")?.description == "172.30.1.5")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1..2.3"] {
            #expect(IPv4Address(bad) == nil, "\(bad) should not parse")
        }
    }

    @Test("tests subnet membership, /0 and /32 included")
    func subnets() throws {
        let net = try subnet("172.30.1.77/24")
        #expect(net.description == "172.30.1.0/24")
        #expect(net.contains(try ip("172.30.1.200")))
        #expect(!net.contains(try ip("172.30.2.1")))
        #expect(try subnet("0.0.0.0/0").contains(try ip("8.8.8.8")))
        #expect(try subnet("127.0.0.2/32").contains(try ip("127.0.0.2")))
        #expect(!(try subnet("127.0.0.2/32").contains(try ip("127.0.0.3"))))
        #expect(IPv4Subnet("10.0.0.0/33") == nil)
        #expect(IPv4Subnet("10.0.0.0") == nil)
    }

    @Test("reads nameservers from resolv.conf text, skipping what does not parse")
    func resolvConf() {
        let text = """
            # comment
            search example.org
            nameserver 192.0.2.53
            nameserver   2001:db8::53
            nameserver fe80::1%eth0
            nameserver not-an-address
            nameserver 192.0.2.53
            options ndots:2
            """
        let upstreams = ResolvConf.upstreams(parsing: text)
        #expect(upstreams.map { $0.ipAddress ?? "?" } == ["192.0.2.53", "2001:db8::53"])
        #expect(upstreams.allSatisfy { $0.port == 53 })
    }

    @Test("an absent resolv.conf gives no upstreams")
    func missingResolvConf() throws {
        #expect(try ResolvConf.upstreams(path: "/nonexistent/berth/resolv.conf").isEmpty)
    }
}
