import BerthModel
import DaemonAPI
import RuntimeKit

extension DaemonService {
    /// `berth exec` as a session: the command's streams relayed both ways,
    /// on a terminal when asked; its exit code, or 0 at once with `-d`.
    public func execSession(_ request: ExecSessionRequest, io: SessionIO) async throws -> Int32? {
        guard !request.command.isEmpty else { throw BerthError(.usage, "exec: a command is required") }
        let container = try await replica(project: request.projectName, service: request.service, index: request.index)
        guard container.state.isRunning else {
            throw BerthError(.invalidState, "container \(container.name) is not running")
        }
        let spec = ExecSpec(
            command: request.command, environment: request.environment, user: request.user,
            workingDir: request.workingDir)
        var options = ExecSessionOptions(
            tty: request.tty, stdin: request.stdin && !request.detach, privileged: request.privileged,
            rows: request.size?.rows, columns: request.size?.columns)
        let runtime = runtime
        if request.detach {
            // docker's `exec -d`: nothing relayed, no exit code waited for.
            options.tty = false
            let (input, end) = AsyncStream.makeStream(of: ProcessInput.self)
            end.finish()
            let id = container.id
            let logger = logger
            Task {
                do {
                    _ = try await runtime.execSession(
                        id, spec, options: options, io: ProcessIO(input: input) { _, _ in })
                } catch {
                    logger.info("exec -d in \(id): \(error)")
                }
            }
            return 0
        }
        return try await runtime.execSession(
            container.id, spec, options: options, io: Self.processIO(io, stdin: options.stdin))
    }

    /// `berth attach`, and `berth run -it` (start: the container was
    /// created, and starts once attached): its terminal or open stdin and
    /// its output relayed until it exits (its exit code) or the client
    /// detaches (nil).
    public func attach(_ request: AttachRequest, io: SessionIO) async throws -> Int32? {
        let container: ContainerInfo
        if let name = request.container {
            let all = try await runtime.containers(matching: .project(request.projectName))
            guard let found = all.first(where: { $0.name == name }) else {
                throw BerthError(.notFound, "no such container: \(name)")
            }
            container = found
        } else {
            container = try await replica(
                project: request.projectName, service: request.service, index: request.index)
            guard container.state.isRunning else {
                throw BerthError(.invalidState, "container \(container.name) is not running; start it to attach")
            }
        }
        let runtime = runtime
        let id = container.id
        let start = request.start
        // `--sig-proxy` without a terminal: a signal the CLI got goes to the container.
        let forward: @Sendable (Int32) -> Void = { number in
            Task { try? await runtime.killContainer(id, signal: String(number)) }
        }
        let end = try await runtime.attach(
            id, io: Self.processIO(io, stdin: request.stdin, signals: forward), rows: request.size?.rows,
            columns: request.size?.columns
        ) {
            if start { try await runtime.startContainer(id) }
        }
        guard end == .exited else { return nil }
        let code = try await runtime.waitContainer(id)
        if request.remove { try? await runtime.removeContainer(id, force: true) }
        return code
    }

    /// The runtime's view of a session: frames in become process input
    /// (without `stdin`, only resizes and signals), output goes out as frames.
    /// `signals`, when given, takes the signal frames instead of the process.
    static func processIO(_ io: SessionIO, stdin: Bool, signals: (@Sendable (Int32) -> Void)? = nil) -> ProcessIO {
        let (input, continuation) = AsyncStream.makeStream(of: ProcessInput.self)
        let incoming = io.incoming
        Task {
            for await frame in incoming {
                switch frame {
                case .input(let bytes) where stdin: continuation.yield(.data(bytes))
                case .endOfInput where stdin: continuation.yield(.end)
                case .resize(let size): continuation.yield(.resize(rows: size.rows, columns: size.columns))
                case .signal(let number):
                    if let signals { signals(number) } else { continuation.yield(.signal(number)) }
                default: break
                }
            }
            continuation.finish()
        }
        let send = io.send
        return ProcessIO(input: input) { stream, bytes in
            send(stream == .stderr ? .stderr(bytes) : .stdout(bytes))
        }
    }
}
