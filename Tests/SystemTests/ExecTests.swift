import Foundation
import Testing

extension SystemTests {
    /// `berth exec -T` as scripts use it: a piped standard input reaches the command.
    @Suite struct ExecTests {
        @Test func execPassesAPipedStandardInput() async throws {
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
                try await daemon.berthOK(["down"], in: directory)
            }
        }
    }
}
