import ArgumentParser
import DaemonAPI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `--progress`: how `up`, `down`, `start`, `stop` … show their work.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, tty, plain, quiet, json

    /// `auto` is `tty` on a terminal, `plain` otherwise.
    var resolved: ProgressMode {
        guard self == .auto else { return self }
        return isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" ? .tty : .plain
    }
}

/// Shows progress lines as docker compose does: on a terminal one line per
/// network, volume and container, redrawn in place with its state and
/// elapsed time; otherwise one plain line per change. Written to standard
/// error, as docker compose does, so standard output stays for data.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    let mode: ProgressMode
    private var order: [String] = []
    private var latest: [String: ProgressEvent] = [:]
    private var drawn = 0
    private let started = ContinuousClock.now

    init(mode: ProgressMode) {
        self.mode = mode.resolved
    }

    func handle(_ event: ProgressEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch mode {
        case .quiet, .auto:
            return
        case .json:
            if let data = try? JSONEncoder().encode(event), let text = String(data: data, encoding: .utf8) {
                FileHandleOutput.standardError(text + "\n")
            }
        case .plain:
            var line = " \(event.kind.rawValue) \(event.name)  \(event.status)"
            if let detail = event.detail { line += ": \(detail)" }
            FileHandleOutput.standardError(line + "\n")
        case .tty:
            let key = "\(event.kind.rawValue) \(event.name)"
            if latest[key] == nil { order.append(key) }
            latest[key] = event
            redraw()
        }
    }

    /// A note line (warnings), above the redrawn block on a terminal.
    func note(_ text: String) {
        guard mode != .quiet else { return }
        FileHandleOutput.standardError(text + "\n")
    }

    private func redraw() {
        var out = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        let total = ReportingClock.seconds(ContinuousClock.now - started)
        let done = latest.values.filter(\.done).count
        out += "\u{1B}[2K[+] Running \(done)/\(order.count)\(String(repeating: " ", count: 4))\(String(format: "%.1fs", total))\n"
        let width = order.map { $0.count }.max() ?? 0
        for key in order {
            guard let event = latest[key] else { continue }
            let mark = event.status == "Error" ? "\u{1B}[31m✘\u{1B}[0m" : event.done ? "\u{1B}[32m✔\u{1B}[0m" : "⠿"
            let padded = key.padding(toLength: width, withPad: " ", startingAt: 0)
            var line = " \(mark) \(padded)  \(event.status.padding(toLength: 9, withPad: " ", startingAt: 0))"
            line += String(format: " %5.1fs", event.elapsed)
            if let detail = event.detail { line += "  \(detail)" }
            out += "\u{1B}[2K" + line + "\n"
        }
        drawn = order.count + 1
        FileHandleOutput.standardError(out)
    }
}

enum ReportingClock {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
