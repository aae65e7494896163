import HostOS
import Synchronization
import TestSupport
import Testing

@testable import RuntimeLinux

/// Root-only system tests of the networks, the port proxy and the volumes
/// against the real kernel. Each test has its own state root under
/// /tmp/berth-test-*, its own `berth` + 4-hex prefix, its own nft table and
/// its own /22 of 10.213.0.0/16, so they run in parallel; after them all,
/// `.noHostLeftovers` checks that none of it remains.
@Suite(.requiresRoot("needs root and a real kernel"), .noHostLeftovers(madeOnHost))
struct HostResourceTests {}

/// Everything the system tests made, so the check after the suite looks for
/// exactly that: other sessions may have `berth*` links of their own.
let madeOnHost = HostRecord()

/// The /22s of 10.213.0.0/16 that tests hold, by index.
let heldBlocks = Mutex<Set<UInt32>>([])

/// Cleanups run in reverse order of registration, whether the body
/// returned or threw; a failing cleanup is recorded and the rest still run.
final class Scope: Sendable {
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
/// the nft table `berth_t` + the same digits, both recorded for the check
/// after the suite.
func freshNames() -> (prefix: String, table: String) {
    let prefix = madeOnHost.freshPrefix()
    let table = "berth_t" + prefix.dropFirst(5)
    madeOnHost.record(HostFootprint(nftTables: [table]))
    return (prefix, table)
}

/// A state root `/tmp/berth-test-XXXXXX`, removed (with everything in it)
/// when the scope unwinds. `tracked` roots are checked for by the system
/// suite's leftover check, so only its own tests may track theirs: the
/// check would otherwise see a root of a suite still running.
func makeStateRoot(_ scope: Scope, tracked: Bool = true) throws -> String {
    let scratch = try ScratchDirectory(prefix: "berth-test")
    if tracked { madeOnHost.record(HostFootprint(roots: [scratch.path], processMarkers: [scratch.path])) }
    scope.onExit("remove \(scratch.path)") { try scratch.remove() }
    return scratch.path
}

/// A /22 of 10.213.0.0/16 that no other test holds and no host route
/// touches; tests cut networks and links out of its four /24s.
func freshBlock() throws -> IPv4CIDR {
    let routes = try RTNetlink().ipv4Routes().map(\.destination).filter { $0.prefixLength > 0 }
    for _ in 0..<1000 {
        let index = UInt32.random(in: 0..<64)
        guard let block = IPv4CIDR(address: IPv4(0x0AD5_0000 | index << 10), prefixLength: 22),
            !routes.contains(where: { $0.overlaps(block) })
        else { continue }
        if heldBlocks.withLock({ $0.insert(index).inserted }) { return block }
    }
    throw HostOSError(.invalidArgument, "no free /22 left in 10.213.0.0/16 for a test")
}
