import BerthModel
import Foundation
import Glibc
import HostOS
import RuntimeKit
import Synchronization
import TestSupport
import Testing

@testable import RuntimeLinux

extension HostResourceTests {
    /// The system tests of `LinuxRuntime`, one at a time: each starts
    /// containers, servers and clients, and run all at once beside the
    /// other suites they starve the timing-sensitive ones (UDP idle flows,
    /// stop grace) on a small machine.
    @Suite(.serialized) struct LinuxRuntimeTests {}
}

/// One runtime test's world: its own root under /tmp/berth-test-*, name
/// prefix (`berth` + 4 hex: interfaces, containers, networks), nft table,
/// and /22 of 10.213.0.0/16 as the address pool; a `LinuxRuntime` over it
/// with the busybox image imported.
///
/// However the body ends, everything is taken apart through the runtime
/// (containers, networks, volumes), the runtime shut down, and then the
/// host checked: no link with the prefix, no nft table, no mount under the
/// root, no process naming the root, no cgroup of the prefix. A leak is a
/// recorded failure.
final class RuntimeFixture: Sendable {
    let root: String
    let prefix: String
    let table: String
    let block: IPv4CIDR
    let configuration: LinuxRuntime.Configuration
    private let current: Mutex<LinuxRuntime>

    /// The runtime in use (the last one `reopen` made).
    var runtime: LinuxRuntime { current.withLock { $0 } }

    private init(root: String, prefix: String, table: String, block: IPv4CIDR, runtime: LinuxRuntime) {
        self.root = root
        self.prefix = prefix
        self.table = table
        self.block = block
        self.configuration = runtime.configuration
        current = Mutex(runtime)
    }

    /// Runs `body` with a fresh fixture and always tears it down.
    static func with(_ body: (RuntimeFixture) async throws -> Void) async throws {
        let image = try await BusyboxImage.shared.path()
        try await Scope.with { scope in
            let root = try makeStateRoot(scope)
            let (prefix, table) = freshNames()
            let block = try freshBlock()
            let configuration = LinuxRuntime.Configuration(
                root: root, shimPath: ContainerFixture.shimBinary, namePrefix: prefix, tableName: table,
                pools: [try AddressPool(base: block, size: 24)])
            let runtime = try await LinuxRuntime(configuration)
            let problems = await runtime.restoreProblems
            #expect(problems.isEmpty, "a fresh root restores without problems: \(problems)")
            let fixture = RuntimeFixture(root: root, prefix: prefix, table: table, block: block, runtime: runtime)
            // Registered before the teardown, so it runs after it.
            scope.onExit("check for leaks") { await fixture.checkLeaks() }
            scope.onExit("take everything apart") { await fixture.tearDown() }
            _ = try await runtime.importImage(path: image, reference: "busybox:latest")
            try await body(fixture)
        }
    }

    /// A new runtime over the same root, as a restarted berthd opens it; the
    /// old one is shut down first (a killed berthd's sockets close too).
    @discardableResult
    func reopen() async throws -> LinuxRuntime {
        await runtime.shutdown()
        let next = try await LinuxRuntime(configuration)
        current.withLock { $0 = next }
        return next
    }

    /// `<prefix>-<name>`: a container name unique to this test.
    func name(_ name: String) -> String { prefix + "-" + name }

    /// `<prefix>_<name>`: a network or volume name unique to this test.
    func resource(_ name: String) -> String { prefix + "_" + name }

    /// A busybox container spec running `command`, on `networks`.
    func spec(_ name: String, _ command: [String], networks: [String] = []) -> ContainerSpec {
        var spec = ContainerSpec(name: self.name(name), image: "busybox:latest")
        spec.command = command
        spec.networks = networks.map { NetworkAttachment(network: $0) }
        spec.labels = ["test.prefix": prefix]
        return spec
    }

    /// A shell command that serves `text` at `/` on port 80 until TERM.
    static func httpd(_ text: String) -> [String] {
        [
            "sh", "-c",
            "echo \(text) > /var/www/index.html; trap 'exit 0' TERM; httpd -f -p 80 -h /var/www & wait",
        ]
    }

    /// Creates and starts a container.
    @discardableResult
    func run(_ spec: ContainerSpec) async throws -> ContainerInfo {
        _ = try await runtime.createContainer(spec)
        try await runtime.startContainer(spec.name)
        return try await info(spec.name)
    }

    /// The container as the runtime lists it now.
    func info(_ name: String) async throws -> ContainerInfo {
        let all = try await runtime.containers(matching: LabelFilter())
        return try #require(all.first { $0.name == name }, "container \(name) is not listed")
    }

    /// Runs `command` in a container; its stdout.
    @discardableResult
    func exec(_ name: String, _ command: [String], timeout: Duration = .seconds(20)) async throws -> ExecResult {
        try await runtime.exec(
            name, ExecSpec(command: command, timeout: Int64(timeout.components.seconds) * 1_000_000_000))
    }

    /// `wget` of `http://address:port/` from inside a container: the body,
    /// or nil when it fails (busybox wget's own `-T` crashes, hence `timeout`).
    func fetch(from name: String, _ address: String, port: Int = 80) async throws -> String? {
        let result = try await exec(name, ["timeout", "5", "wget", "-q", "-O", "-", "http://\(address):\(port)/"])
        return result.exitCode == 0 ? result.stdout : nil
    }

    /// Waits, with a deadline, until the container's httpd (started in the
    /// background of its shell) accepts connections on port 80, tried from
    /// the host on the container's first address: a connect, no process.
    func waitForHTTPD(_ name: String) async throws {
        let address = try #require(try await info(name).addresses.values.first, "\(name) has no address")
        let ready = try await eventually(within: 60) { SocketClient.canConnect(address, 80) }
        try #require(ready, "the httpd of \(name) never listened on \(address):80")
    }

    private func tearDown() async {
        let runtime = self.runtime
        do {
            for container in try await runtime.containers(matching: LabelFilter()) {
                do { try await runtime.removeContainer(container.id, force: true) } catch {
                    Issue.record("teardown: removing \(container.id): \(error)")
                }
            }
            for network in try await runtime.networks(matching: LabelFilter()) {
                do { try await runtime.removeNetwork(network.name) } catch {
                    Issue.record("teardown: removing network \(network.name): \(error)")
                }
            }
            for volume in try await runtime.volumes(matching: LabelFilter()) {
                do { try await runtime.removeVolume(volume.name) } catch {
                    Issue.record("teardown: removing volume \(volume.name): \(error)")
                }
            }
        } catch {
            Issue.record("teardown: \(error)")
        }
        await runtime.shutdown()
    }

    /// What this test left on the host, after a grace for processes on
    /// their way out.
    private func checkLeaks() async {
        let footprint = HostFootprint(
            linkPrefixes: [prefix], nftTables: [table], roots: [root], processMarkers: [root], cgroupPrefixes: [prefix])
        for leak in await footprint.leftovers(within: .seconds(5)) { Issue.record("left behind: \(leak)") }
    }
}

/// The busybox OCI image of `make busybox-image` (`.build/busybox-oci.tar`),
/// built once for all tests when it is not there yet.
actor BusyboxImage {
    static let shared = BusyboxImage()
    private var built: Task<String, Error>?

    func path() async throws -> String {
        if let built { return try await built.value }
        let task = Task<String, Error> {
            let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let output = package.appendingPathComponent(".build/busybox-oci.tar").path
            if FileManager.default.fileExists(atPath: output) { return output }
            let script = package.appendingPathComponent("scripts/make-busybox-image.sh").path
            let temporary = output + ".tmp-\(getpid())"
            try await sh("bash", script, temporary)
            guard rename(temporary, output) == 0 else {
                throw BerthError(.io, "cannot move \(temporary) to \(output)")
            }
            return output
        }
        built = task
        return try await task.value
    }
}
