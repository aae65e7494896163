import BerthModel

/// What a client sends to an interactive process.
public enum ProcessInput: Sendable, Hashable {
    /// Bytes for its standard input or terminal.
    case data([UInt8])
    /// The client's input has ended.
    case end
    /// The client's terminal has a new size.
    case resize(rows: UInt16, columns: UInt16)
    /// Deliver this signal to the process.
    case signal(Int32)
}

/// The two directions of an interactive process (`exec -it`, `attach`):
/// `input` finishes when the client has gone; `output` takes what the
/// process writes, as it writes it (with a terminal, all of it is `stdout`).
public struct ProcessIO: Sendable {
    /// The client's input, resizes and signals.
    public var input: AsyncStream<ProcessInput>
    /// Called with each piece of output, from any thread.
    public var output: @Sendable (ExecStream, [UInt8]) -> Void

    /// A process's streams over these two ends.
    public init(input: AsyncStream<ProcessInput>, output: @escaping @Sendable (ExecStream, [UInt8]) -> Void) {
        self.input = input
        self.output = output
    }
}

/// How an interactive exec runs.
public struct ExecSessionOptions: Sendable, Hashable {
    /// A pseudo-terminal for the process.
    public var tty: Bool
    /// Relay the client's input; false: /dev/null.
    public var stdin: Bool
    /// Every capability (`--privileged`).
    public var privileged: Bool
    /// The terminal's size at the start (rows, columns).
    public var rows: UInt16?
    public var columns: UInt16?

    public init(
        tty: Bool, stdin: Bool = true, privileged: Bool = false, rows: UInt16? = nil, columns: UInt16? = nil
    ) {
        self.tty = tty
        self.stdin = stdin
        self.privileged = privileged
        self.rows = rows
        self.columns = columns
    }
}

/// How an attach ended.
public enum AttachEnd: Sendable, Hashable {
    /// The container's output ended: it has exited.
    case exited
    /// The client went; the container runs on.
    case detached
}

extension ContainerRuntime {
    /// Runs `spec` in a running container with its streams relayed over
    /// `io` (and a terminal with `options.tty`); returns its exit code (127
    /// when the command is not found, 126 when it cannot be executed).
    /// When the client goes first the process runs on, its output dropped.
    public func execSession(_ id: String, _ spec: ExecSpec, options: ExecSessionOptions, io: ProcessIO)
        async throws -> Int32
    {
        throw BerthError(.unsupported, "this runtime has no interactive exec")
    }

    /// Relays a container's terminal (or its open stdin and its output)
    /// over `io` until it exits or the client goes. `whenAttached` runs
    /// once the relay is in place (`run -it` starts the container there,
    /// so that none of its output is missed).
    public func attach(
        _ id: String, io: ProcessIO, rows: UInt16?, columns: UInt16?,
        whenAttached: @escaping @Sendable () async throws -> Void
    )
        async throws -> AttachEnd
    {
        throw BerthError(.unsupported, "this runtime cannot attach to containers")
    }
}
