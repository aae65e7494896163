import ArgumentParser
import BerthModel
import DaemonAPI

/// `berth exec`: run a command in a running container of a service, as
/// `docker compose exec`: a pseudo-TTY when standard input is a terminal
/// (unless `-T`), standard input passed in every case.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Execute a command in a running container.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation.") var noTTY = false
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a pseudo-TTY (the default on a terminal).")
    var tty = false
    @Flag(name: [.short, .customLong("interactive")], help: "Keep standard input open (always on).")
    var interactive = false
    @Flag(name: [.short, .customLong("detach")], help: "Run the command in the background.") var detach = false
    @Flag(help: "Give extended privileges to the process.") var privileged = false
    @Option(name: [.short, .customLong("env")], help: "KEY=VALUE (repeatable).") var env: [String] = []
    @Option(name: [.short, .customLong("user")], help: "Run as this user.") var user: String?
    @Option(name: [.short, .customLong("workdir")], help: "Working directory.") var workdir: String?
    @Option(help: "Index of the container if the service has several replicas.") var index: Int = 1
    @Option(name: .customLong("detach-keys"), help: "The keys that detach (default ctrl-p,ctrl-q).")
    var detachKeys: String?
    @Argument(help: "Service.") var service: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() async throws {
        guard !command.isEmpty else { throw BerthError(.usage, "exec: a command is required") }
        let keys = try detachKeys.map { try DetachKeys(parsing: $0) } ?? .standard
        let (name, _) = try ProjectContext.name(project)
        let terminal = !noTTY && !detach && Terminal.standardInputIsTerminal
        let request = ExecSessionRequest(
            projectName: name, service: service, index: index, command: command,
            environment: Self.environment(env), user: user, workingDir: workdir, tty: terminal, stdin: !detach,
            privileged: privileged, detach: detach, size: terminal ? Terminal.size() : nil)
        let socket = try await Daemon.openSession(.execSession, request)
        let session = InteractiveSession(
            socket: socket, tty: terminal, stdin: !detach, detachKeys: keys, sigProxy: true)
        let code = try session.run() ?? 0
        if code != 0 { throw ExitCode(code) }
    }

    /// `-e KEY=VALUE` entries as a table; a bare `KEY` is an empty value.
    static func environment(_ entries: [String]) -> [String: String] {
        var environment: [String: String] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return environment
    }
}
