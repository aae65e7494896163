import Foundation
import Testing

@testable import RuntimeLinux

/// A terminal's output in the log: `\r\n` line ends, escape sequences,
/// a prompt without a newline last; every complete line is read, followed or not.
@Suite struct TTYLogTests {
    static let records = [
        #"{"log":"\r\n","stream":"stdout","time":"2026-12-07T21:17:57.157605987Z"}"#,
        #"{"log":"/ # \u001b[6n\r/ # \u001b[Jecho $((6*7+1))\r\n","stream":"stdout","time":"2026-12-07T21:17:57.158759637Z"}"#,
        #"{"log":"43\r\n","stream":"stdout","time":"2026-12-07T21:17:57.179905386Z"}"#,
        #"{"log":"/ # \u001b[6necho $((6*7+2))\r\n","stream":"stdout","time":"2026-12-07T21:17:57.184553108Z"}"#,
        #"{"log":"44\r\n","stream":"stdout","time":"2026-12-07T21:17:57.204848206Z"}"#,
    ]

    @Test func everyLineOfATerminalIsRead() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-tty-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try (Self.records.joined(separator: "\n") + "\n").write(
            toFile: directory + "/json.log", atomically: true, encoding: .utf8)
        let log = JSONFileLog(directory: directory)
        let read = try log.read(JSONFileLog.Query())
        #expect(read.contains { $0.text.contains("44") }, "\(read.map(\.text))")
        var followed: [String] = []
        for try await entry in log.follow(JSONFileLog.Query(follow: true), until: { true }) {
            followed.append(entry.text)
        }
        #expect(followed.contains { $0.contains("44") }, "\(followed)")
        // Live: the container still runs, so the follow does not end by itself.
        let live = log.follow(JSONFileLog.Query(follow: true), until: { false })
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for try await entry in live where entry.text.contains("44") { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(found, "a live follow reads every complete line")
    }
}
