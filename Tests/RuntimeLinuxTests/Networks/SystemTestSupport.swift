import Glibc
import HostOS
import Synchronization
import Testing

@testable import RuntimeLinux

/// Root-only system tests of the networks, the port proxy and the volumes
/// against the real kernel. Each test has its own state root under
/// /tmp/berth-test-*, its own `berth` + 4-hex prefix, its own nft table and
/// its own /22 of 10.213.0.0/16, so they run in parallel; after them all,
/// `.noHostLeftovers` checks that none of it remains.
@Suite(.enabled(if: getuid() == 0, "needs root and a real kernel"), .noHostLeftovers)
struct HostResourceTests {}

/// Everything the system tests made, so the suite-level check looks for
/// exactly that: other sessions may have `berth*` links of their own.
enum Made {
    static let prefixes = Mutex<[String]>([])
    static let tables = Mutex<[String]>([])
    static let roots = Mutex<[String]>([])
    static let blocks = Mutex<Set<UInt32>>([])
}

/// After the suite: no link with a test's prefix, no nft table of a test,
/// no state root, no mount under one, and no helper process of ours alive.
struct NoHostLeftovers: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await function()
        let links = try await sh("ip", "-o", "link", "show")
        for prefix in Made.prefixes.withLock({ $0 }) {
            #expect(!links.contains(": \(prefix)"), "link with prefix \(prefix) left behind:\n\(links)")
        }
        let tables = try await sh("nft", "list", "tables")
        for table in Made.tables.withLock({ $0 }) {
            #expect(!tables.contains("inet \(table)\n"), "nft table \(table) left behind")
        }
        let mounts = try Mounts.entries(under: "/tmp")
        for root in Made.roots.withLock({ $0 }) {
            #expect(!mounts.contains { $0.mountPoint.hasPrefix(root) }, "mounts left under \(root)")
            #expect(access(root, F_OK) != 0, "state root \(root) left behind")
        }
        #expect(helperChildren().isEmpty, "helper processes left: \(helperChildren())")
    }
}

extension Trait where Self == NoHostLeftovers {
    /// Checks, after the suite, that its tests cleaned up.
    static var noHostLeftovers: Self { Self() }
}

/// Child processes of this test process that belong to these tests: their
/// command line names a test's prefix, table, state root, or an address of
/// 10.213.0.0/16. Other suites of the package run in the same process and
/// spawn `ip`, `ping` and `nsenter` too; those are theirs to check.
func helperChildren() -> [String] {
    let markers =
        Made.prefixes.withLock { $0 } + Made.tables.withLock { $0 } + Made.roots.withLock { $0 } + ["10.213."]
    guard let directory = opendir("/proc") else { return [] }
    defer { closedir(directory) }
    var found: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let pid = Int32(name), let stat = try? AtomicFile.read("/proc/\(pid)/stat") else { continue }
        // `pid (comm) state ppid …`; comm may hold spaces, hence the last ')'.
        let text = String(decoding: stat, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { continue }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 1, Int32(fields[1]) == getpid() else { continue }
        let argv = (try? AtomicFile.read("/proc/\(pid)/cmdline")).flatMap { $0 }.map {
            String(decoding: $0.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        }
        if let argv, markers.contains(where: { argv.contains($0) }) { found.append("\(pid) \(argv)") }
    }
    return found
}

/// Cleanups run in reverse order of registration, whether the body
/// returned or threw; a failing cleanup is recorded and the rest still run.
final class Scope: @unchecked Sendable {
    // One test's task uses a scope; the lock only keeps the type honest.
    private let cleanups = Mutex<[(String, @Sendable () async throws -> Void)]>([])

    /// Registers `body`, to run after everything registered later.
    func onExit(_ what: String, _ body: @escaping @Sendable () async throws -> Void) {
        cleanups.withLock { $0.append((what, body)) }
    }

    /// Runs `body` with a fresh scope, then unwinds it.
    static func with<T>(_ body: (Scope) async throws -> T) async throws -> T {
        let scope = Scope()
        do {
            let result = try await body(scope)
            await scope.unwind()
            return result
        } catch {
            await scope.unwind()
            throw error
        }
    }

    private func unwind() async {
        let all = cleanups.withLock { cleanups in
            defer { cleanups.removeAll() }
            return cleanups
        }
        for (what, cleanup) in all.reversed() {
            do { try await cleanup() } catch { Issue.record("cleanup \(what) failed: \(error)") }
        }
    }
}

/// A test's names: `berth` + 4 random hex digits, unused by any link, and
/// the nft table `berth_t` + the same digits.
func freshPrefix() async throws -> String {
    let links = try await sh("ip", "-o", "link", "show")
    while true {
        let hex = String(UInt16.random(in: 0x1000...0xFFFF), radix: 16)
        let prefix = "berth" + hex
        guard !links.contains(": \(prefix)") else { continue }
        let fresh = Made.prefixes.withLock { used in
            if used.contains(prefix) { return false }
            used.append(prefix)
            return true
        }
        if fresh { return prefix }
    }
}

/// A state root `/tmp/berth-test-XXXXXX`, removed (with everything in it)
/// when the scope unwinds. `tracked` roots are checked for by the system
/// suite's leftover check, so only its own tests may track theirs: the
/// check would otherwise see a root of a suite still running.
func makeStateRoot(_ scope: Scope, tracked: Bool = true) throws -> String {
    var template = Array("/tmp/berth-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw HostOSError(.syscall, "mkdtemp", errno: errno) }
    let root = String(cString: made)
    if tracked { Made.roots.withLock { $0.append(root) } }
    scope.onExit("remove \(root)") { try await sh("rm", "-rf", "--one-file-system", "--", root) }
    return root
}

/// A /22 of 10.213.0.0/16 that no other test holds and no host route
/// touches; tests cut networks and links out of its four /24s.
func freshBlock() throws -> IPv4CIDR {
    let routes = try RTNetlink().ipv4Routes().map(\.destination).filter { $0.prefixLength > 0 }
    for _ in 0..<1000 {
        let index = UInt32.random(in: 0..<64)
        guard let block = IPv4CIDR(address: IPv4Address(0x0AD5_0000 | index << 10), prefixLength: 22),
            !routes.contains(where: { $0.overlaps(block) })
        else { continue }
        if Made.blocks.withLock({ $0.insert(index).inserted }) { return block }
    }
    throw HostOSError(.invalidArgument, "no free /22 left in 10.213.0.0/16 for a test")
}

/// Runs a command and returns stdout, failing with its stderr when it fails.
@discardableResult
func sh(_ arguments: String...) async throws -> String {
    try await ProcessRunner().run(HostOS.Command(arguments, timeout: .seconds(20))).check().output
}

/// Runs a command and says whether it exited 0.
func succeeds(_ arguments: String...) async throws -> Bool {
    try await ProcessRunner().run(HostOS.Command(arguments, timeout: .seconds(20))).succeeded
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
