import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation

/// `berth exec`: run a command in a running container of a service.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Execute a command in a running container.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: .customShort("T"), help: "Disable pseudo-TTY allocation (the only mode Berth has yet).") var noTTY =
        false
    @Option(name: [.short, .customLong("env")], help: "KEY=VALUE (repeatable).") var env: [String] = []
    @Option(name: [.short, .customLong("user")], help: "Run as this user.") var user: String?
    @Option(name: [.short, .customLong("workdir")], help: "Working directory.") var workdir: String?
    @Option(help: "Index of the container if the service has several replicas.") var index: Int = 1
    @Argument(help: "Service.") var service: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() async throws {
        guard !command.isEmpty else { throw BerthError(.usage, "exec: a command is required") }
        let input = try StandardInput.encodedIfPiped()
        let (name, _) = try ProjectContext.name(project)
        var environment: [String: String] = [:]
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let request = ExecRequest(
            projectName: name, service: service, index: index, command: command, environment: environment, user: user,
            workingDir: workdir, standardInput: input)
        let exit = try await Daemon.connect().stream(.exec, request) { chunk in
            guard let bytes = Data(base64Encoded: chunk.data) else { return }
            [UInt8](bytes).withUnsafeBufferPointer { buffer in
                if chunk.stream == "stderr" {
                    FileHandleOutput.standardError(buffer)
                } else {
                    FileHandleOutput.standardOutput(buffer)
                }
            }
        }
        if exit.exitCode != 0 { throw ExitCode(exit.exitCode) }
    }
}
