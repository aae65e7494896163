import ArgumentParser
import BerthModel
import DaemonAPI

/// `berth attach SERVICE`: this terminal to a service's running container,
/// as `docker compose attach`: its output, and its input when it has
/// `stdin_open` (a terminal with `tty`). The detach keys leave it running.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach local standard input, output, and error streams to a service's running container.")

    @OptionGroup var project: ProjectOptions
    @Option(help: "Index of the container if the service has several replicas.") var index: Int = 1
    @Flag(name: .customLong("no-stdin"), help: "Do not attach standard input.") var noStdin = false
    @Option(
        name: .customLong("sig-proxy"), help: "Proxy received signals to the process (without a TTY; default true).")
    var sigProxy: Bool = true
    @Option(name: .customLong("detach-keys"), help: "The keys that detach (default ctrl-p,ctrl-q).")
    var detachKeys: String?
    @Argument(help: "Service.") var service: String

    func run() async throws {
        let keys = try detachKeys.map { try DetachKeys(parsing: $0) } ?? .standard
        let (name, project) = try ProjectContext.name(project)
        // Whether the container has a terminal is the service's `tty:`.
        let tty = (project?.services[service]?.tty ?? false) && Terminal.standardInputIsTerminal
        let request = AttachRequest(
            projectName: name, service: service, index: index, stdin: !noStdin, size: tty ? Terminal.size() : nil)
        let socket = try await Daemon.openSession(.attach, request)
        let session = InteractiveSession(
            socket: socket, tty: tty, stdin: !noStdin, detachKeys: keys, sigProxy: sigProxy)
        let code = try session.run() ?? 0
        if code != 0 { throw ExitCode(code) }
    }
}
