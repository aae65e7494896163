import Glibc
import HostOS
import Synchronization
import Testing

/// Root-only system tests of HostOS against the real kernel. Each test has
/// its own `berth` + 4-hex prefix, its own scratch root (for namespace
/// files) and its own /24, so they run in parallel; after the whole suite,
/// `.noLeftovers` checks that none of their links, namespace files or
/// mounts remain.
@Suite(.enabled(if: getuid() == 0, "needs root and a real kernel"), .noLeftovers)
struct HostOSSystemTests {}

/// Everything the system tests made, so the suite-level check can look for
/// exactly that (other sessions may legitimately have `berth*` links of
/// their own up at the same time).
enum Made {
    static let prefixes = Mutex<[String]>([])
    static let roots = Mutex<[String]>([])
}

/// After the suite: no link with a prefix a test used, no scratch root, no
/// mount below one.
struct NoLeftovers: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await function()
        let prefixes = Made.prefixes.withLock { $0 }
        let roots = Made.roots.withLock { $0 }
        let links = try await sh("ip", "-o", "link", "show")
        for prefix in prefixes {
            #expect(!links.contains(": \(prefix)"), "link with prefix \(prefix) left behind:\n\(links)")
        }
        for root in roots {
            #expect(try Mounts.entries(under: root).isEmpty, "mounts left under \(root)")
            #expect(access(root, F_OK) != 0, "scratch root \(root) left behind")
        }
    }
}

extension Trait where Self == NoLeftovers {
    /// Checks, after the suite, that its tests cleaned up.
    static var noLeftovers: Self { Self() }
}

/// A test's names: `berth` + 4 random hex digits + a short suffix, at most
/// 15 bytes so every one is a valid interface name.
struct TestNames: Sendable {
    let prefix: String

    /// A fresh prefix no current link uses.
    static func fresh() async throws -> TestNames {
        let links = try await sh("ip", "-o", "link", "show")
        while true {
            let hex = String(UInt16.random(in: 0...UInt16.max), radix: 16)
            let prefix = "berth" + String(repeating: "0", count: 4 - hex.count) + hex
            guard !links.contains(": \(prefix)") else { continue }
            let fresh = Made.prefixes.withLock { used in
                if used.contains(prefix) { return false }
                used.append(prefix)
                return true
            }
            if fresh { return TestNames(prefix: prefix) }
        }
    }

    /// `prefix + suffix`; the suffix has at most 6 bytes.
    func interface(_ suffix: String) throws -> InterfaceName {
        try InterfaceName(parsing: prefix + suffix)
    }
}

/// Runs a command and returns stdout, failing the test with stderr when it
/// fails: the readback side of the tests uses the real `ip` and `nsenter`.
@discardableResult
func sh(_ arguments: String...) async throws -> String {
    try await ProcessRunner().run(Command(arguments, timeout: .seconds(10))).check().output
}

/// A scratch root under /tmp whose name contains `berth`, removed after
/// `body` (it must be empty by then: a namespace file left inside fails).
func withScratchRoot<T>(_ body: (String) async throws -> T) async throws -> T {
    var template = Array("/tmp/berth-hostos-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw HostOSError(.syscall, "mkdtemp", errno: errno) }
    let root = String(cString: made)
    Made.roots.withLock { $0.append(root) }
    defer {
        rmdir(root + "/netns")
        rmdir(root)
    }
    return try await body(root)
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
        guard let subnet = IPv4CIDR(address: IPv4Address(value), prefixLength: 24) else { continue }
        if !routes.contains(where: { $0.overlaps(subnet) }) { return subnet }
    }
}

extension IPv4CIDR {
    /// The `host`-th address of this subnet, same prefix.
    func host(_ number: UInt32) -> IPv4CIDR {
        IPv4CIDR(address: IPv4Address(network.address.value + number), prefixLength: prefixLength) ?? self
    }
}

/// Polls `condition` until it holds or `seconds` pass: tests wait for a real
/// state with a deadline, never a fixed sleep.
func eventually(within seconds: Int = 5, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
