import ArgumentParser
import DaemonAPI
import Foundation
import Synchronization

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
/// Events come from several tasks at once; each is written whole.
final class ProgressPrinter: Sendable {
    let mode: ProgressMode
    /// `--quiet-pull`: no lines for images and their layers, unless one fails.
    let quietPull: Bool
    private let started = ContinuousClock.now
    private let board = Mutex(Board())

    /// What a terminal shows: one line per object, in the order they came.
    private struct Board {
        var order: [String] = []
        var latest: [String: ProgressEvent] = [:]
        /// The lines drawn last time, to move up over.
        var drawn = 0
    }

    init(mode: ProgressMode, quietPull: Bool = false) {
        self.mode = mode.resolved
        self.quietPull = quietPull
    }

    func handle(_ event: ProgressEvent) {
        if quietPull, event.kind == .image || event.kind == .layer, event.status != "Error" { return }
        board.withLock { board in
            switch mode {
            case .quiet, .auto:
                return
            case .json:
                if let data = try? JSONEncoder().encode(event), let text = String(data: data, encoding: .utf8) {
                    FileHandleOutput.standardError(text + "\n")
                }
            case .plain:
                // A layer's byte counts change many times a second: plain output says each status once.
                let key = "\(event.kind.rawValue) \(event.name)"
                if event.kind == .layer, board.latest[key]?.status == event.status { return }
                board.latest[key] = event
                var line = " \(event.kind.rawValue) \(event.name)  \(event.status)"
                if let detail = event.detail { line += ": \(detail)" }
                FileHandleOutput.standardError(line + "\n")
            case .tty:
                let key = "\(event.kind.rawValue) \(event.name)"
                if board.latest[key] == nil { board.order.append(key) }
                board.latest[key] = event
                redraw(&board)
            }
        }
    }

    /// A note line (warnings), above the redrawn block on a terminal.
    func note(_ text: String) {
        guard mode != .quiet else { return }
        FileHandleOutput.standardError(text + "\n")
    }

    private func redraw(_ board: inout Board) {
        var out = board.drawn > 0 ? "\u{1B}[\(board.drawn)A" : ""
        let total = ReportingClock.seconds(ContinuousClock.now - started)
        let done = board.latest.values.filter(\.done).count
        let spaces = String(repeating: " ", count: 4)
        out += "\u{1B}[2K[+] Running \(done)/\(board.order.count)\(spaces)\(String(format: "%.1fs", total))\n"
        let width = board.order.map { $0.count }.max() ?? 0
        for key in board.order {
            guard let event = board.latest[key] else { continue }
            let mark = event.status == "Error" ? "\u{1B}[31m✘\u{1B}[0m" : event.done ? "\u{1B}[32m✔\u{1B}[0m" : "⠿"
            let padded = key.padding(toLength: width, withPad: " ", startingAt: 0)
            // A layer's words are docker's longer ones (`Download complete`).
            let status = event.status.padding(
                toLength: event.kind == .layer ? max(17, event.status.count) : 9, withPad: " ", startingAt: 0)
            var line = " \(mark) \(padded)  \(status)"
            if event.kind == .layer {
                line += Self.bytes(event)
            } else {
                line += String(format: " %5.1fs", event.elapsed)
            }
            if let detail = event.detail { line += "  \(detail)" }
            out += "\u{1B}[2K" + line + "\n"
        }
        board.drawn = board.order.count + 1
        FileHandleOutput.standardError(out)
    }
}

extension ProgressPrinter {
    /// ` [=====>     ]  12.3MB/50.1MB` for a layer on its way, as docker draws it.
    static func bytes(_ event: ProgressEvent) -> String {
        guard !event.done, let current = event.current, let total = event.total, total > 0, current > 0 else {
            return ""
        }
        let width = 30
        let filled = min(width, Int(Double(width) * Double(current) / Double(total)))
        let bar = String(repeating: "=", count: max(0, filled - 1)) + (filled > 0 ? ">" : "")
        let padded = bar.padding(toLength: width, withPad: " ", startingAt: 0)
        return " [\(padded)] \(ImageCommand.size(current))/\(ImageCommand.size(total))"
    }
}

enum ReportingClock {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
