import HostOS
import TestSupport
import Testing

/// Root-only system tests of HostOS against the real kernel. Each test has
/// its own `berth` + 4-hex prefix, its own scratch root (for namespace
/// files) and its own /24, so they run in parallel; after the whole suite,
/// `.noHostLeftovers` checks that none of their links, namespace files or
/// mounts remain.
@Suite(.requiresRoot("needs root and a real kernel"), .noHostLeftovers(madeOnHost))
struct HostOSSystemTests {}

/// Everything the system tests made, so the check after the suite looks for
/// exactly that (other sessions may legitimately have `berth*` links of
/// their own up at the same time).
let madeOnHost = HostRecord()

/// A test's names: `berth` + 4 random hex digits + a short suffix, at most
/// 15 bytes so every one is a valid interface name.
struct TestNames: Sendable {
    let prefix: String

    /// A fresh prefix no current link uses.
    static func fresh() -> TestNames {
        TestNames(prefix: madeOnHost.freshPrefix())
    }

    /// `prefix + suffix`; the suffix has at most 6 bytes.
    func interface(_ suffix: String) throws -> InterfaceName {
        try InterfaceName(parsing: prefix + suffix)
    }
}

/// A scratch root under /tmp whose name contains `berth`, removed after
/// `body` (it must be empty by then: a namespace file left inside fails).
func withScratchRoot<T>(_ body: (String) async throws -> T) async throws -> T {
    try await withScratchDirectory(prefix: "berth-hostos") { scratch in
        madeOnHost.record(HostFootprint(roots: [scratch.path], processMarkers: [scratch.path]))
        return try await body(scratch.path)
    }
}

/// A bridge, deleted after `body` even when it throws.
func withBridge<T>(
    _ netlink: RTNetlink, _ name: InterfaceName, _ body: () async throws -> T
) async throws -> T {
    try netlink.createBridge(name)
    do {
        let result = try await body()
        try netlink.deleteLink(name)
        return result
    } catch {
        try? netlink.deleteLink(name)
        throw error
    }
}

/// A network namespace under `root`, deleted after `body` even when it throws.
func withNamespace<T>(
    in root: String, _ name: String, _ body: (NetworkNamespace) async throws -> T
) async throws -> T {
    guard let valid = NetworkNamespace.Name(name) else { throw HostOSError(.invalidArgument, "bad name \(name)") }
    let namespace = try NetworkNamespace.create(valid, in: root + "/netns")
    do {
        let result = try await body(namespace)
        try namespace.delete()
        return result
    } catch {
        try? namespace.delete()
        throw error
    }
}

/// A /24 in 10.128.0.0/9 that no route on the host touches, so a test's
/// bridge never shadows a real network (or another test's).
func freeSubnet(_ netlink: RTNetlink) throws -> IPv4CIDR {
    let routes = try netlink.ipv4Routes().map(\.destination).filter { $0.prefixLength > 0 }
    while true {
        let value = 0x0A80_0000 | UInt32.random(in: 0...0x7FFF) << 8
        guard let subnet = IPv4CIDR(address: IPv4(value), prefixLength: 24) else { continue }
        if !routes.contains(where: { $0.overlaps(subnet) }) { return subnet }
    }
}

extension IPv4CIDR {
    /// The `host`-th address of this subnet, same prefix.
    func host(_ number: UInt32) -> IPv4CIDR {
        IPv4CIDR(address: IPv4(network.address.value + number), prefixLength: prefixLength) ?? self
    }
}
