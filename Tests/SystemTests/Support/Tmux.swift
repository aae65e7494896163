import Foundation
import Glibc
import TestSupport
import Testing

/// A real terminal for the terminal tests: a tmux server of its own
/// (`-L`), one window running the host's `sh` with the daemon's
/// environment. Keys go in with `send-keys`, the screen comes back with
/// `capture-pane`; every wait polls the screen against a deadline.
struct Tmux {
    let server: String
    let directory: String

    /// A window of `columns`×`rows` running `sh` in `directory`.
    static func start(_ daemon: TestDaemon, in directory: String, columns: Int = 100, rows: Int = 30) async throws
        -> Tmux
    {
        let tmux = Tmux(server: "berth-" + daemon.prefix, directory: directory)
        let env = daemon.environment.merging(["TERM": "xterm", "PS1": "host$ "]) { $1 }
        let shell = ["env", "-i"] + env.map { "\($0.key)=\($0.value)" }.sorted() + ["sh"]
        try await tmux.command(
            ["new-session", "-d", "-s", "t", "-x", String(columns), "-y", String(rows), "-c", directory]
                + [shell.joined(separator: " ")])
        // No status line: the pane is the whole window, rows included.
        try await tmux.command(["set-option", "-t", "t", "status", "off"])
        _ = try await tmux.waitFor("host$", within: 10)
        return tmux
    }

    @discardableResult
    func command(_ arguments: [String]) async throws -> Output {
        let output = try await run(["tmux", "-L", server] + arguments, timeout: 20)
        guard output.status == 0 else {
            throw TestFailure("tmux \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)")
        }
        return output
    }

    /// Types `line` and Enter.
    func type(_ line: String) async throws {
        try await command(["send-keys", "-t", "t", "-l", line])
        try await command(["send-keys", "-t", "t", "Enter"])
    }

    /// Sends keys by tmux's names (`C-c`, `C-p`).
    func keys(_ names: String...) async throws {
        try await command(["send-keys", "-t", "t"] + names)
    }

    /// The screen, with the scrollback.
    func screen() async throws -> String {
        try await command(["capture-pane", "-p", "-J", "-S", "-200", "-t", "t"]).stdout
    }

    /// Waits until a line of the screen satisfies `match`; the screen.
    func waitForLine(
        within seconds: Int = 15, _ what: String, _ match: @escaping (Substring) -> Bool
    ) async throws -> String {
        var last = ""
        let found = try await eventually(within: seconds) {
            last = try await screen()
            return last.split(separator: "\n").contains(where: match)
        }
        if !found { throw TestFailure("the terminal never showed \(what); it shows:\n\(last)") }
        return last
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    func waitFor(_ text: String, within seconds: Int = 15) async throws -> String {
        try await waitForLine(within: seconds, "\"\(text)\"") { $0.contains(text) }
    }

    /// Waits until a line is exactly `text` (output, not the command that printed it).
    @discardableResult
    func waitForOutput(_ text: String, within seconds: Int = 15) async throws -> String {
        // Also after the host shell's prompt: a line typed before the prompt
        // came is echoed first, and its output then follows `host$` on one
        // line (the echo of the command itself ends in " TEXT", never "$TEXT").
        try await waitForLine(within: seconds, "a line \"\(text)\"") {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return line == text || line.hasSuffix("$" + text) || line.hasSuffix("$ " + text)
        }
    }

    /// How many lines of the screen contain `text`.
    func count(_ text: String) async throws -> Int {
        try await screen().split(separator: "\n").filter { $0.contains(text) }.count
    }

    /// Resizes the window.
    func resize(columns: Int, rows: Int) async throws {
        try await command(["resize-window", "-t", "t", "-x", String(columns), "-y", String(rows)])
    }

    /// Ends the server and everything in it.
    func kill() async {
        _ = try? await run(["tmux", "-L", server, "kill-server"], timeout: 20)
    }
}

/// The pids of `berth` processes whose command line contains `marker`.
func berthProcesses(containing marker: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry),
            let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let first = words.first, first.hasSuffix("/berth"), words.contains(where: { $0.contains(marker) })
        else { return nil }
        return pid
    }
}
