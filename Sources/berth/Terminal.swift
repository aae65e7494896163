import CLinux
import DaemonAPI
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The CLI's own terminal: its size, and raw mode for a remote pty, put
/// back exactly as it was however berth ends (the session's end, a lost
/// connection, SIGTERM, SIGHUP).
final class Terminal: Sendable {
    /// The settings before raw mode; nil while not raw.
    private let saved = Mutex<termios?>(nil)
    private let descriptor: Int32

    /// The terminal on `descriptor` (standard input).
    init(descriptor: Int32 = 0) {
        self.descriptor = descriptor
    }

    /// Whether standard input is a terminal.
    static var standardInputIsTerminal: Bool { isatty(0) == 1 }

    /// The window size of the terminal on fd 0, 1 or 2, whichever is one.
    static func size() -> WindowSize? {
        for fd: Int32 in [0, 1, 2] {
            var rows: UInt16 = 0
            var columns: UInt16 = 0
            if berth_get_window_size(fd, &rows, &columns) == 0, rows > 0, columns > 0 {
                return WindowSize(rows: rows, columns: columns)
            }
        }
        return nil
    }

    /// Raw mode: every byte as typed, no echo, no signals from keys (Ctrl-C
    /// is a byte for the remote process), no output processing.
    func makeRaw() {
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else { return }
        saved.withLock { $0 = settings }
        var raw = settings
        cfmakeraw(&raw)
        _ = tcsetattr(descriptor, TCSADRAIN, &raw)
    }

    /// Puts the settings back; does nothing when not raw. Safe to call twice.
    func restore() {
        guard
            var settings = saved.withLock({ state -> termios? in
                defer { state = nil }
                return state
            })
        else { return }
        _ = tcsetattr(descriptor, TCSADRAIN, &settings)
    }
}

/// Signals for the length of a session, handled on a queue rather than in
/// a signal handler (the handler would have to restore the terminal in
/// async-signal-safe code). Set up and cancelled by the session's thread.
final class SessionSignals {
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "berth.session.signals")

    /// Calls `handler` on each of `signals`, which no longer take their default action.
    func on(_ signals: [Int32], _ handler: @escaping @Sendable (Int32) -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops handling them.
    func cancel() {
        for source in sources { source.cancel() }
        sources = []
    }
}
