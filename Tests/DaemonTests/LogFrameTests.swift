import DaemonAPI
import Foundation
import Testing

/// The log frame written and read by hand is the frame JSONEncoder and
/// JSONDecoder agree on.
struct LogFrameTests {
    static let entries = [
        LogEntry(container: "p-web-1", service: "web", stream: "stdout", time: "2026-12-07T20:00:00.5Z", text: "plain"),
        LogEntry(
            container: "p-web-1", service: "web", stream: "stderr", time: "2026-12-07T20:00:01Z",
            text: "q\"uote \\ back/slash\ttab\r\u{1}\u{1F} é 😀 <&>"),
        LogEntry(container: "", service: "", stream: "stdout", time: "", text: ""),
    ]

    @Test func handWrittenFramesDecodeAsJSON() throws {
        for entry in Self.entries {
            let decoded = try WireJSON.decode(StreamFrame<LogEntry, Empty>.self, from: entry.itemFrame)
            guard case .item(let item) = decoded else {
                Issue.record("not an item frame: \(String(decoding: entry.itemFrame, as: UTF8.self))")
                continue
            }
            #expect(item == entry)
            #expect(LogEntry.fromItemFrame(entry.itemFrame) == entry)
        }
    }

    @Test func framesOfAnotherShapeAreLeftToTheDecoder() throws {
        let encoded = try WireJSON.encode(StreamFrame<LogEntry, Empty>.result(Empty()))
        #expect(LogEntry.fromItemFrame(encoded) == nil)
        #expect(LogEntry.fromItemFrame(Array(#"{"item":{"_0":{"container":"x\u00e9""#.utf8)) == nil)
    }
}
