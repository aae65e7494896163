import BerthModel
import Foundation
import RuntimeKit
import Synchronization
import Testing

@_spi(Components) @testable import RuntimeLinux

/// Interactive execs and attaches at the driver: a pty from crun held by
/// berthd (exec) or by the shim (a `tty` container), docker's exit codes.
@Suite(.requiresRoot("needs root: crun, overlay mounts and cgroups"))
struct ContainerSessionTests {
    /// What a session wrote, gathered from its output callback.
    final class Collected: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
        func append(_ more: [UInt8]) { bytes.withLock { $0 += more } }
    }

    private func idle(_ f: ContainerFixture, _ name: String) async throws -> LinuxContainerSpec {
        let spec = try f.spec(name, ["sh", "-c", "echo ready; sleep 1000 & wait"])
        try await f.run(spec)
        try await f.waitForLog(spec.id, containing: "ready")
        return spec
    }

    private func session(_ inputs: [ProcessInput], finish: Bool = true) -> (ProcessIO, Collected) {
        let (stream, continuation) = AsyncStream.makeStream(of: ProcessInput.self)
        for input in inputs { continuation.yield(input) }
        if finish { continuation.finish() }
        let collected = Collected()
        return (ProcessIO(input: stream) { _, bytes in collected.append(bytes) }, collected)
    }

    @Test func execOnAPtyHasATerminalOfTheGivenSize() async throws {
        try await ContainerFixture.with { f in
            let spec = try await idle(f, "pty")
            let (io, out) = session([])
            let code = try await f.driver.execSession(
                spec.id, LinuxExecSpec(["sh", "-c", "tty; sleep 0.2; stty size; exit 3"]),
                options: ExecSessionOptions(tty: true, rows: 33, columns: 111), io: io)
            #expect(code == 3)
            #expect(out.text.contains("/dev/pts/"), "\(out.text)")
            #expect(out.text.contains("33 111"), "\(out.text)")
        }
    }

    @Test func execWithoutATerminalStreamsStandardInput() async throws {
        try await ContainerFixture.with { f in
            let spec = try await idle(f, "pipe")
            let data = [UInt8](repeating: 65, count: 300_000)
            let (io, out) = session([.data(data), .end])
            let code = try await f.driver.execSession(
                spec.id, LinuxExecSpec(["sh", "-c", "wc -c"]), options: ExecSessionOptions(tty: false), io: io)
            #expect(code == 0)
            #expect(out.text.trimmingCharacters(in: .whitespacesAndNewlines) == "300000", "\(out.text)")
        }
    }

    @Test func execExitCodesAreDockers() async throws {
        try await ContainerFixture.with { f in
            let spec = try await idle(f, "codes")
            for tty in [false, true] {
                let (missing, said) = session([])
                let notFound = try await f.driver.execSession(
                    spec.id, LinuxExecSpec(["no-such-command"]), options: ExecSessionOptions(tty: tty), io: missing)
                #expect(notFound == 127, "tty \(tty): \(said.text)")
                let (denied, told) = session([])
                let cannot = try await f.driver.execSession(
                    spec.id, LinuxExecSpec(["/etc/passwd"]), options: ExecSessionOptions(tty: tty), io: denied)
                #expect(cannot == 126, "tty \(tty): \(told.text)")
            }
        }
    }

    @Test func attachToATTYContainerAndDetach() async throws {
        try await ContainerFixture.with { f in
            var spec = try f.spec("tty", ["sh"])
            spec.terminal = true
            spec.openStdin = true
            try await f.run(spec)
            for round in 1...2 {
                let (stream, continuation) = AsyncStream.makeStream(of: ProcessInput.self)
                let out = Collected()
                let io = ProcessIO(input: stream) { _, bytes in out.append(bytes) }
                let attached = Task { try await f.driver.attach(spec.id, io: io, rows: 20, columns: 70) {} }
                continuation.yield(.data(Array("echo $((6*7+\(round)))\n".utf8)))
                let expected = "\(42 + round)"
                var seen = false
                for _ in 0..<200 where !seen {
                    try await Task.sleep(for: .milliseconds(25))
                    seen = out.text.contains(expected + "\r\n")
                }
                #expect(seen, "round \(round): \(out.text)")
                continuation.finish()
                #expect(try await attached.value == .detached)
            }
            try await f.waitForLog(spec.id, containing: "44")
            guard case .alive = f.driver.observe(spec.id) else {
                Issue.record("the container stopped after the detach")
                return
            }
        }
    }

    @Test func exitCodeMapping() {
        #expect(ExecSession.exitCode(0, log: "").0 == 0)
        #expect(ExecSession.exitCode(7, log: "").0 == 7)
        #expect(
            ExecSession.exitCode(1, log: "executable file `x` not found in $PATH: No such file or directory").0 == 127)
        #expect(ExecSession.exitCode(1, log: "open `/etc/passwd`: Permission denied").0 == 126)
        #expect(ExecSession.exitCode(255, log: "something else").0 == 255)
    }
}
