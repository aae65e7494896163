import BerthModel
import Foundation
import Synchronization
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

/// One root-only test's world: its own root under /tmp/berth-test-XXXXXX,
/// its own crun state directory, a name prefix `berth-t<hex>` for its
/// containers (and so their cgroups), a busybox layer, and a driver over it.
///
/// `with` tears everything down in reverse order even when the body throws,
/// then checks that nothing is left: no crun container, no mount, no live
/// shim or crun process, no cgroup. A leak is a recorded test failure.
final class ContainerFixture: Sendable {
    let root: String
    let prefix: String
    let driver: ContainerDriver
    let busybox: String
    private let created = Mutex<[ContainerID]>([])

    private init(root: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.shimBinary) else {
            throw BerthError(
                .invalidSpec,
                "no berth-shim at \(Self.shimBinary): RuntimeLinuxTests must depend on the berth-shim target so that swift test builds it"
            )
        }
        self.root = root
        prefix = "berth-t" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        busybox = root + "/layers/busybox"
        try Self.makeBusyboxLayer(at: busybox)
        driver = try ContainerDriver(
            .init(root: root, shimPath: Self.shimBinary, crunRoot: root + "/crun"))
    }

    /// Runs `body` with a fresh fixture and always tears it down.
    static func with(_ body: (ContainerFixture) async throws -> Void) async throws {
        try await withScratchDirectory(prefix: "berth-test") { scratch in
            let fixture = try ContainerFixture(root: scratch.path)
            var failure: Error?
            do { try await body(fixture) } catch { failure = error }
            await fixture.tearDown()
            if let failure { throw failure }
        }
    }

    /// The id `<prefix>-<name>`.
    func id(_ name: String) throws -> ContainerID {
        try #require(ContainerID(prefix + "-" + name), "bad test container name \(name)")
    }

    /// A spec for `name` on the busybox layer running `command`.
    func spec(
        _ name: String, _ command: [String], image: LinuxContainerSpec.Image = .init(env: [BundleBuilder.defaultPath])
    ) throws -> LinuxContainerSpec {
        var spec = LinuxContainerSpec(id: try id(name), image: image, layers: [busybox])
        spec.command = command
        return spec
    }

    /// Creates (and with `start`, starts) a container, remembering it for teardown.
    @discardableResult
    func create(_ spec: LinuxContainerSpec, start: Bool = false) async throws -> ContainerDriver.Created {
        created.withLock { $0.append(spec.id) }
        return try await driver.create(spec, start: start)
    }

    /// Creates and starts through `crun create` + `crun start`, as berthd's `up` would.
    @discardableResult
    func run(_ spec: LinuxContainerSpec) async throws -> ContainerDriver.Created {
        let made = try await create(spec)
        try await driver.start(spec.id)
        return made
    }

    /// Waits, following the log, until a line contains `text`.
    func waitForLog(_ id: ContainerID, containing text: String, timeout: Duration = .seconds(10)) async throws {
        let driver = self.driver
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                let entries = try driver.logs(id, JSONFileLog.Query(follow: true))
                for try await entry in entries where entry.text.contains(text) {
                    return true
                }
                return false
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        let log = (try? String(contentsOfFile: driver.paths(id).directory + "/json.log", encoding: .utf8)) ?? ""
        try #require(found, "the log of \(id) never had a line containing \"\(text)\": \(log.prefix(3000))")
    }

    private func tearDown() async {
        let ids = created.withLock { $0 }
        let leftovers = ((try? driver.list()) ?? []).filter { !ids.contains($0) }
        for id in (ids + leftovers).reversed() where (try? driver.requireExists(id)) != nil {
            do { try await driver.remove(id, force: true) } catch { Issue.record("teardown of \(id): \(error)") }
        }
        for leak in await leaks() { Issue.record("leaked after the test: \(leak)") }
    }

    /// What is still there that the test made, after a short grace for
    /// processes on their way out: containers crun knows, and what the host
    /// shows of the root and the prefix.
    func leaks() async -> [String] {
        let footprint = HostFootprint(roots: [root], processMarkers: [root], cgroupPrefixes: [prefix])
        let host = await footprint.leftovers(within: .seconds(5))
        let crunList = (try? ChildProcess.run(["/usr/bin/crun", "--root", root + "/crun", "list", "-q"]))
        let names = crunList.map { String(decoding: $0.stdout, as: UTF8.self) } ?? ""
        return names.split(separator: "\n").map { "crun container \($0)" } + host
    }

    /// The berth-shim that `swift build` put next to the test bundle.
    static let shimBinary: String = {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("berth-shim")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent(".build/debug/berth-shim").path
    }()

    /// A minimal image layer: static busybox with its applets, and an
    /// /etc/passwd and /etc/group that know root, www-data (33) and nobody.
    static func makeBusyboxLayer(at dir: String) throws {
        let fm = FileManager.default
        for sub in ["bin", "etc", "tmp", "root", "var/www", "proc", "sys", "dev"] {
            try fm.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        chmod(dir + "/tmp", 0o1777)
        try fm.copyItem(atPath: "/bin/busybox", toPath: dir + "/bin/busybox")
        let list = try ChildProcess.run(["/bin/busybox", "--list"])
        for applet in String(decoding: list.stdout, as: UTF8.self).split(separator: "\n") where applet != "busybox" {
            try fm.createSymbolicLink(atPath: dir + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try """
        root:x:0:0:root:/root:/bin/sh
        www-data:x:33:33:www-data:/var/www:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false

        """.write(toFile: dir + "/etc/passwd", atomically: true, encoding: .utf8)
        try """
        root:x:0:
        www-data:x:33:
        staff:x:50:www-data
        nogroup:x:65534:

        """.write(toFile: dir + "/etc/group", atomically: true, encoding: .utf8)
    }
}
