import BerthModel
import DaemonAPI
import DaemonClient
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Relays a session (`exec`, `attach`, `run -it`) between this process's
/// standard streams and berthd: input as typed (raw mode when the remote
/// side has a pty and ours is a terminal), output as it comes, the window
/// size at every SIGWINCH, the detach keys watched for. The terminal is
/// restored whatever ends the session.
struct InteractiveSession {
    let socket: SessionSocket
    /// The remote process has a pty.
    let tty: Bool
    /// Relay standard input.
    let stdin: Bool
    let detachKeys: DetachKeys
    /// Without a pty: SIGINT, SIGTERM … go to the remote process.
    let sigProxy: Bool

    /// The exit code, or nil when the user detached.
    func run() throws -> Int32? {
        let terminal = Terminal()
        let local = tty && Terminal.standardInputIsTerminal
        let signals = SessionSignals()
        let detached = DetachFlag()
        if local { terminal.makeRaw() }
        defer {
            signals.cancel()
            terminal.restore()
            socket.close()
        }
        handleSignals(signals, terminal: terminal, local: local)
        if stdin { relayInput(watching: local ? detachKeys : nil, detached: detached) }
        let outcome = try relayOutput()
        if outcome == nil && detached.isSet {
            terminal.restore()
            FileHandleOutput.standardError("read escape sequence\n")
            return nil
        }
        guard let outcome else { throw socket.lost() }
        return outcome
    }

    private func handleSignals(_ signals: SessionSignals, terminal: Terminal, local: Bool) {
        let socket = socket
        if local {
            if let size = Terminal.size() { socket.send(.resize(size)) }
            signals.on([SIGWINCH]) { _ in
                if let size = Terminal.size() { socket.send(.resize(size)) }
            }
        }
        if !tty && sigProxy {
            signals.on([SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]) { number in
                socket.send(.signal(number))
            }
        } else {
            // The terminal goes back before berth goes.
            signals.on([SIGTERM, SIGHUP, SIGINT, SIGQUIT]) { number in
                terminal.restore()
                exit(128 + number)
            }
        }
    }

    /// Standard input to berthd, on a thread of its own (a read of a
    /// terminal blocks until a key is pressed).
    private func relayInput(watching keys: DetachKeys?, detached: DetachFlag) {
        let socket = socket
        DispatchQueue.global().async {
            var matcher = keys.map(DetachKeyMatcher.init)
            var buffer = [UInt8](repeating: 0, count: 32768)
            while true {
                let n = read(0, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    if let held = matcher?.flush(), !held.isEmpty { socket.send(.input(held)) }
                    socket.send(.endOfInput)
                    return
                }
                guard var watching = matcher else {
                    if !socket.send(.input(Array(buffer[0..<n]))) { return }
                    continue
                }
                let (forward, detach) = watching.feed(buffer[0..<n])
                matcher = watching
                if !forward.isEmpty && !socket.send(.input(forward)) { return }
                if detach {
                    detached.set()
                    socket.shutdownBoth()
                    return
                }
            }
        }
    }

    /// berthd's frames to standard output and error until the exit frame
    /// (its code), an error frame (thrown), or the connection's end (nil).
    private func relayOutput() throws -> Int32? {
        var decoder = SessionFrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = socket.receive(into: &buffer)
            guard n > 0 else { return nil }
            for frame in try decoder.frames(appending: buffer[0..<n]) {
                switch frame {
                case .stdout(let bytes): bytes.withUnsafeBufferPointer { FileHandleOutput.standardOutput($0) }
                case .stderr(let bytes): bytes.withUnsafeBufferPointer { FileHandleOutput.standardError($0) }
                case .exit(let code): return code
                case .error(let error): throw error
                default: break
                }
            }
        }
    }
}

/// Set by the input thread when the detach keys were typed.
final class DetachFlag: Sendable {
    private let value = Mutex(false)

    /// Whether the user detached.
    var isSet: Bool { value.withLock { $0 } }

    /// The user detached.
    func set() { value.withLock { $0 = true } }
}
