import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// `berth exec -T` as scripts use it: a piped standard input reaches the
    /// command, output comes as it is written, byte for byte.
    @Suite struct ExecTests {
        @Test func execPassesStandardInputAndStreamsOutputByteForByte() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: ex\(daemon.prefix.dropFirst(5))
                    services:
                      app:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let dump = String(repeating: "INSERT INTO t VALUES (1);\n", count: 8000)
                let restored = try await daemon.berth(
                    ["exec", "-T", "app", "sh", "-c", "cat > /tmp/dump.sql; wc -l < /tmp/dump.sql"], in: directory,
                    input: dump)
                #expect(restored.status == 0, "\(restored.stderr)")
                #expect(restored.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "8000", "\(restored.stdout)")
                #expect(!restored.stderr.contains("WARN"), "\(restored.stderr)")

                // Bytes, not text: a lone 0xC3 is not valid UTF-8 and must not become U+FFFD.
                let binary = try await run(
                    ["sh", "-c", "\(TestDaemon.binaries)/berth exec -T app printf '\\303\\000' | od -An -tx1"],
                    in: directory, environment: daemon.environment)
                #expect(binary.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "c3 00", "\(binary)")

                // Output as it comes: the first line is there while the command still runs.
                let log = daemon.root + "/exec.log"
                let pid = try daemon.spawnBerth(
                    ["-f", directory + "/compose.yaml", "exec", "-T", "app", "sh", "-c", "echo first; sleep 60"],
                    log: log)
                defer {
                    kill(pid, SIGTERM)
                    var status: Int32 = 0
                    waitpid(pid, &status, 0)
                }
                let streamed = try await eventually(within: 60) {
                    (try? String(contentsOfFile: log, encoding: .utf8))?.contains("first") == true
                }
                #expect(streamed, "the first line had not come while the command ran")
                // run too: the one-off container's init reads it.
                let once = try await daemon.berth(
                    ["run", "--rm", "app", "sh", "-c", "wc -l"], in: directory, input: dump)
                #expect(once.status == 0, "\(once.stderr)")
                #expect(once.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "8000", "\(once.stdout)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }
    }
}
