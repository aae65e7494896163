import BerthModel
import Glibc
import HostOS
import Testing

@testable import RuntimeLinux

/// How a HostOS failure becomes a `BerthError` (`BerthError+HostOS.swift`).
@Suite struct HostOSErrorConversionTests {
    @Test func theCallersCodeAndMessageWithTheFailureAsCause() {
        let failure = HostOSError(.netlink, "netlink: create bridge \"berth0a1b\"", errno: EEXIST)
        let error = BerthError(.host, "cannot create network \"demo_default\"", wrapping: failure)
        #expect(
            error
                == BerthError(
                    .host, "cannot create network \"demo_default\"",
                    cause: "netlink: create bridge \"berth0a1b\": File exists (EEXIST)"))
    }

    @Test func aTimeoutStaysATimeout() {
        let failure = HostOSError(.timeout, "command \"nft -f -\" timed out after 30 s")
        let error = BerthError(.host, "cannot update the nftables table inet berth", wrapping: failure)
        #expect(error.code == .timeout)
        #expect(error.message == "cannot update the nftables table inet berth")
        #expect(error.cause == "command \"nft -f -\" timed out after 30 s")
    }

    @Test func aBerthErrorPassesAsItIs() {
        let ours = BerthError(.notFound, "network \"demo_default\" not found")
        #expect(BerthError(.host, "cannot attach", wrapping: ours) == ours)
    }
}
