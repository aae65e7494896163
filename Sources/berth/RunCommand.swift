import ArgumentParser
import BerthModel
import DaemonAPI

/// `berth run SERVICE [COMMAND…]`: a one-off command in a new container of a service.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a one-off command on a service.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("detach")], help: "Run in the background and print the container's name.")
    var detach = false
    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.") var remove = false
    @Option(name: [.short, .customLong("env")], help: "KEY=VALUE (repeatable).") var env: [String] = []
    @Option(name: [.short, .customLong("user")], help: "Run as this user.") var user: String?
    @Option(name: [.short, .customLong("workdir")], help: "Working directory.") var workdir: String?
    @Option(help: "Override the entrypoint.") var entrypoint: String?
    @Flag(name: .customLong("no-deps"), help: "Do not start linked services.") var noDeps = false
    @Flag(name: .customLong("service-ports"), help: "Publish the service's ports.") var servicePorts = false
    @Flag(name: .customShort("T"), help: "No pseudo-TTY (the only mode Berth has yet).") var noTTY = false
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "Service.") var service: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() async throws {
        let input = detach ? nil : try StandardInput.encodedIfPiped()
        let loaded = try ProjectContext.load(project, services: [service])
        var environment: [String: String] = [:]
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let request = RunRequest(
            project: loaded.project, service: service, command: command,
            entrypoint: entrypoint.map { [$0] }, environment: environment, user: user, workingDir: workdir,
            remove: remove, noDeps: noDeps, servicePorts: servicePorts, detach: detach,
            standardInput: input)
        let printer = ProgressPrinter(mode: progress)
        let result = try await Daemon.connect().stream(.run, request) { output in
            switch output {
            case .progress(let event): printer.handle(event)
            case .log(let line):
                if line.stream == "stderr" {
                    FileHandleOutput.standardError(line.text + "\n")
                } else {
                    FileHandleOutput.standardOutput(line.text + "\n")
                }
            }
        }
        guard let code = result.exitCode else {
            FileHandleOutput.standardOutput(result.container + "\n")
            return
        }
        if code != 0 { throw ExitCode(code) }
    }
}
