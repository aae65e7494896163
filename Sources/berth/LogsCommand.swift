import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `berth logs`: the services' output.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "View output from containers.")

    @OptionGroup var project: ProjectOptionsLongFile
    @Flag(name: [.short, .customLong("follow")], help: "Follow log output.") var follow = false
    @Option(
        name: [.customShort("n"), .customLong("tail")], help: "Lines from the end of each container's log, or all.")
    var tail: String = "all"
    @Flag(name: [.short, .customLong("timestamps")], help: "Show timestamps.") var timestamps = false
    @Option(help: "Show logs since a timestamp (RFC 3339) or a duration ago (42s, 5m, 1h).") var since: String?
    @Option(help: "Show logs before a timestamp (RFC 3339) or a duration ago (42s, 5m, 1h).") var until: String?
    @Flag(name: .customLong("no-log-prefix"), help: "Do not print the container name.") var noLogPrefix = false
    @Flag(name: .customLong("no-color"), help: "Monochrome output.") var noColor = false
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        let (name, _) = try ProjectContext.name(project.options)
        let lines: Int?
        if tail == "all" || tail == "-1" {
            lines = nil
        } else if let n = Int(tail), n >= 0 {
            lines = n
        } else {
            throw BerthError(.usage, "--tail \(tail): expected a number or all")
        }
        let request = LogsRequest(
            projectName: name, services: services, follow: follow, tail: lines,
            since: try since.map { try Self.parseTime($0, option: "since") },
            until: try until.map { try Self.parseTime($0, option: "until") })
        // Without -f the lines are written 64 KiB at a time, not one write each.
        let printer = LogPrinter(
            noPrefix: noLogPrefix, timestamps: timestamps, colour: !noColor && isatty(1) == 1, buffered: !follow)
        defer { printer.flush() }
        try await Daemon.connect().logs(request) { printer.print($0) }
    }

    /// An RFC 3339 time, a Unix time, or a duration before now.
    static func parseTime(_ text: String, option: String) throws -> Double {
        if let seconds = Double(text) { return seconds }
        // To the nanosecond, as the log's own times (`logs -t`) print.
        if let seconds = LogEntry.seconds(text) { return seconds }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let n = Double(text.dropLast(suffix.count)) { return Date().timeIntervalSince1970 - n * factor }
        }
        throw BerthError(.usage, "--\(option) \(text): expected a timestamp or a duration like 42s, 5m, 1h")
    }
}

/// Prints log entries as docker compose does: `web-1  | text`, the prefix
/// coloured per container on a terminal. Entries come from several tasks
/// at once; each line is written whole.
final class LogPrinter: Sendable {
    let noPrefix: Bool
    let timestamps: Bool
    let colour: Bool
    /// Output kept until 64 KiB have gathered (or `flush`), for a read
    /// that is not followed.
    let buffered: Bool
    private let state = Mutex(State())
    static let palette = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    /// What the lines printed so far decide for the next ones.
    private struct State {
        var colours: [String: String] = [:]
        var width = 0
        /// Container → its prefix (`web-1  | `, coloured or not) at `width`.
        var prefixes: [String: (width: Int, bytes: [UInt8])] = [:]
        /// The time of the latest line printed, seconds since the epoch.
        var lastTime: Double?
        /// The lines printed at `lastTime` (container, text), to skip when read again.
        var atLastTime: [(container: String, text: String)] = []
        /// What `buffered` has not written yet.
        var pending: [UInt8] = []
        /// Container → its latest line printed: time and text (a burst of
        /// lines read at once shares one time).
        var latest: [String: (time: Double, text: String)] = [:]
    }

    /// `colour`: the prefix coloured per container, on a terminal unless `--no-color`.
    init(noPrefix: Bool, timestamps: Bool, colour: Bool = isatty(1) == 1, buffered: Bool = false) {
        self.noPrefix = noPrefix
        self.timestamps = timestamps
        self.colour = colour
        self.buffered = buffered
    }

    /// Writes what `buffered` kept.
    func flush() {
        state.withLock { state in
            state.pending.withUnsafeBufferPointer { FileHandleOutput.standardOutput($0) }
            state.pending = []
        }
    }

    /// The time of the latest line printed, seconds since the epoch.
    var lastTime: Double? { state.withLock { $0.lastTime } }

    /// Whether `entry`, or a later line of its container, has been printed.
    func printed(_ entry: LogEntry) -> Bool {
        guard let time = entry.seconds else { return true }
        return state.withLock { state in
            guard let latest = state.latest[entry.container] else { return false }
            return latest.time > time || (latest.time == time && latest.text == entry.text)
        }
    }

    /// Prints an entry; `skippingSeen` drops one already printed (a catch-up
    /// read from `lastTime` on). A full `logs` prints millions: the work per
    /// line is a few comparisons and one copy of its bytes.
    func print(_ entry: LogEntry, skippingSeen: Bool = false) {
        state.withLock { state in
            if let time = entry.seconds {
                if (state.latest[entry.container]?.time ?? -.infinity) <= time {
                    state.latest[entry.container] = (time, entry.text)
                }
                let seen = { (line: (container: String, text: String)) in
                    line.container == entry.container && line.text == entry.text
                }
                if skippingSeen, let lastTime = state.lastTime,
                    time < lastTime || (time == lastTime && state.atLastTime.contains(where: seen))
                {
                    return
                }
                // An older line (another container's, merged late) leaves the
                // latest time and the lines seen at it as they are.
                if state.lastTime.map({ time > $0 }) ?? true {
                    state.lastTime = time
                    state.atLastTime.removeAll(keepingCapacity: true)
                    state.atLastTime.append((entry.container, entry.text))
                } else if time == state.lastTime, !state.atLastTime.contains(where: seen) {
                    state.atLastTime.append((entry.container, entry.text))
                }
            }
            write(entry, into: &state)
        }
    }

    /// Appends the printed form of `entry` to the pending bytes (written out
    /// at 64 KiB), or writes it at once when not `buffered`.
    private func write(_ entry: LogEntry, into state: inout State) {
        var line: [UInt8] = []
        swap(&line, &state.pending)
        if !noPrefix { line += prefix(entry, &state) }
        if timestamps {
            line += entry.time.utf8
            line.append(UInt8(ascii: " "))
        }
        line += entry.text.utf8
        line.append(UInt8(ascii: "\n"))
        if !buffered || line.count >= 65536 {
            line.withUnsafeBufferPointer { FileHandleOutput.standardOutput($0) }
            line.removeAll(keepingCapacity: true)
        }
        swap(&line, &state.pending)
    }

    /// `web-1  | `, padded to the widest name so far and coloured per
    /// container on a terminal; made once per container and width.
    private func prefix(_ entry: LogEntry, _ state: inout State) -> [UInt8] {
        if let made = state.prefixes[entry.container], made.width == state.width { return made.bytes }
        let name = entry.container.hasPrefix(entry.service) ? entry.container : Self.shortName(entry)
        state.width = max(state.width, name.count)
        let padded = name.padding(toLength: state.width, withPad: " ", startingAt: 0) + "  | "
        var text = padded
        if colour {
            let code = state.colours[name] ?? Self.palette[state.colours.count % Self.palette.count]
            state.colours[name] = code
            text = "\u{1B}[\(code)m\(padded)\u{1B}[0m"
        }
        let bytes = Array(text.utf8)
        state.prefixes[entry.container] = (state.width, bytes)
        return bytes
    }

    /// `web-1` for `demo-web-1`, as docker compose prints it.
    static func shortName(_ entry: LogEntry) -> String {
        guard let range = entry.container.range(of: "-" + entry.service + "-") else { return entry.container }
        return String(entry.container[entry.container.index(after: range.lowerBound)...])
    }
}
