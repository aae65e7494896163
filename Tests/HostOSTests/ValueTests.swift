import Glibc
import Testing

@testable import HostOS

/// Names and addresses are parsed before they reach the kernel; mountinfo
/// is parsed from text. None of this needs root.
@Suite struct ValueTests {
    @Test(arguments: ["lo", "eth0", "berth0a1b", "berth0a1bbr", "berth0a1b-v123"])
    func validInterfaceNames(_ name: String) throws {
        #expect(try InterfaceName(parsing: name).rawValue == name)
    }

    @Test func invalidInterfaceNamesSayWhy() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("berth0123456789a", "16 bytes, the kernel allows 15"),
            (".", "reserved"),
            ("..", "reserved"),
            ("a/b", "contains '/', ':', whitespace or NUL"),
            ("eth0:1", "contains '/', ':', whitespace or NUL"),
            ("a b", "contains '/', ':', whitespace or NUL"),
        ]
        for (name, why) in cases {
            #expect(InterfaceName(name) == nil)
            let error = #expect(throws: HostOSError.self) { try InterfaceName(parsing: name) }
            #expect(error?.description == "invalid interface name \"\(name)\": \(why)")
        }
    }

    @Test func namespaceNamesThatEscapeTheDirectoryAreRefused() {
        for bad in ["", ".", "..", "a/b", "../x", "a\u{0}b"] {
            #expect(NetworkNamespace.Name(bad) == nil, "\(bad)")
        }
        #expect(NetworkNamespace.Name("berth-web-1")?.rawValue == "berth-web-1")
    }

    @Test func ipv4AddressesAreStrictDottedQuads() {
        #expect(IPv4("172.20.0.2")?.value == 0xAC14_0002)
        #expect(IPv4("0.0.0.0")?.value == 0)
        #expect(IPv4("255.255.255.255")?.value == .max)
        for bad in [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ",
        ] {
            #expect(IPv4(bad) == nil, "\(bad)")
        }
        #expect(IPv4(0x0A00_0001).description == "10.0.0.1")
        #expect(IPv4(bytes: [10, 0, 0, 1]) == IPv4("10.0.0.1"))
        #expect(IPv4(bytes: [10, 0, 0]) == nil)
    }

    @Test func cidrArithmetic() throws {
        let address = try IPv4CIDR(parsing: "172.20.5.9/24")
        #expect(address.network.description == "172.20.5.0/24")
        #expect(address.broadcast.description == "172.20.5.255")
        #expect(address.mask == 0xFFFF_FF00)
        #expect(address.contains(try #require(IPv4("172.20.5.1"))))
        #expect(!address.contains(try #require(IPv4("172.20.6.1"))))
        #expect(address.overlaps(try IPv4CIDR(parsing: "172.16.0.0/12")))
        #expect(!address.overlaps(try IPv4CIDR(parsing: "172.20.6.0/24")))
        #expect(try IPv4CIDR(parsing: "0.0.0.0/0").mask == 0)
        #expect(try IPv4CIDR(parsing: "0.0.0.0/0").overlaps(address))
        #expect(try IPv4CIDR(parsing: "10.0.0.1/32").broadcast.description == "10.0.0.1")
        #expect(IPv4CIDR("10.0.0.1/+8") == nil)
        #expect(IPv4CIDR("10.0.0.1/") == nil)
    }

    @Test func mountinfoIsParsedWithOptionalFieldsAndEscapes() {
        let text = """
            22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
            95 29 0:4 net:[4026532281] /var/lib/berth/netns/web rw shared:1 master:3 - nsfs nsfs rw
            96 29 0:4 net:[4026532300] /var/lib/berth/netns/with\\040space rw - nsfs nsfs rw
            97 29 0:50 / /var/lib/berthold rw - tmpfs tmpfs rw
            garbage line
            """
        let entries = Mounts.parse(mountinfo: text)
        #expect(entries.count == 4)
        #expect(
            entries[1]
                == MountEntry(
                    id: 95, parentID: 29, root: "net:[4026532281]", mountPoint: "/var/lib/berth/netns/web",
                    options: "rw", fsType: "nsfs", source: "nsfs"))
        #expect(entries[2].mountPoint == "/var/lib/berth/netns/with space")
        let under = Mounts.select(entries, under: "/var/lib/berth/")
        #expect(under.map(\.id) == [95, 96])
        #expect(Mounts.select(entries, under: "/").count == 4)
    }

    @Test func theLiveMountTableParses() throws {
        let all = try Mounts.entries(under: "/")
        #expect(all.contains { $0.mountPoint == "/" })
        #expect(all.contains { $0.mountPoint == "/proc" && $0.fsType == "proc" })
    }

    @Test func errorsReadLikeSentences() {
        #expect(HostOSError.describe(errno: EEXIST) == "File exists (EEXIST)")
        #expect(HostOSError.describe(errno: 9999) == "Unknown error 9999")
        let error = HostOSError(.syscall, "open \"/x\"", errno: ENOENT)
        #expect(error.description == "open \"/x\": No such file or directory (ENOENT)")
        #expect(
            HostOSError(.command, "command \"false\" exited with status 1").description
                == "command \"false\" exited with status 1")
    }

    @Test func dedicatedThreadsRunElsewhereAndRethrow() async throws {
        let here = pthread_self()
        let there = try DedicatedThread.runBlocking { pthread_self() }
        #expect(pthread_equal(here, there) == 0)
        #expect(throws: HostOSError.self) {
            try DedicatedThread.runBlocking { throw HostOSError(.timeout, "boom") }
        }
        let value = try await DedicatedThread.run { @Sendable in 42 }
        #expect(value == 42)
    }
}
