import Foundation
import TestSupport
import Testing

/// The busybox base image the stacks run, built once per test run by the
/// project's own script (no network).
enum BusyboxImage {
    static let path: String = TestDaemon.repository + "/.build/busybox-oci.tar"

    /// Makes the archive if missing and imports it into the daemon as `busybox`.
    static func load(into daemon: TestDaemon) async throws {
        if access(path, R_OK) != 0 {
            let made = try await run([TestDaemon.repository + "/scripts/make-busybox-image.sh", path])
            guard made.status == 0 else { throw TestFailure("make-busybox-image.sh failed: \(made.stderr)") }
        }
        try await daemon.berthOK(["image", "import", path])
    }
}

/// A copy of an example project in the daemon's root, so a test may edit it.
func copyExample(_ name: String, into daemon: TestDaemon) async throws -> String {
    let target = daemon.root + "/project-" + name
    let copied = try await run(["cp", "-a", TestDaemon.repository + "/examples/" + name, target])
    guard copied.status == 0 else { throw TestFailure("copy example \(name): \(copied.stderr)") }
    return target
}

/// Writes a compose file into a fresh directory under the daemon's root.
func writeProject(_ daemon: TestDaemon, _ yaml: String) throws -> String {
    let directory = daemon.root + "/p\(UInt16.random(in: 1000...9999))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try yaml.write(toFile: directory + "/compose.yaml", atomically: true, encoding: .utf8)
    return directory
}

/// Runs a test with a fresh daemon, started, stopped and cleaned up
/// whatever happens; the host must hold nothing of it afterwards.
func withDaemon(start: Bool = true, _ body: (TestDaemon) async throws -> Void) async throws {
    let daemon = try TestDaemon()
    do {
        if start { try await daemon.start() }
        try await body(daemon)
    } catch {
        Issue.record("berthd log tail:\n\(daemon.logTail())")
        await daemon.stop()
        throw error
    }
    await daemon.stop()
    // The veths go with the containers' namespaces, in the kernel's own time.
    let left = await daemon.wholeFootprint.leftovers(within: .seconds(10), rootsRemoved: true)
    #expect(left.isEmpty, "left on the host: \(left)")
}

/// Decodes `ps --format json` (one object per line).
func psJSON(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("ps --format json printed a line that is not an object: \(line)")
        }
        return object
    }
}

/// An HTTP GET from the host with curl; the body, or nil when it failed.
func curl(_ url: String) async throws -> String? {
    let output = try await run(["curl", "-sS", "--max-time", "5", url])
    return output.status == 0 ? output.stdout : nil
}
