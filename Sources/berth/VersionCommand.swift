import ArgumentParser
import DaemonAPI

/// `berth version`.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the Berth version information.")

    static let version = "0.1.0"

    @Flag(name: .customLong("short"), help: "Only the version number.") var short = false
    /// `berth -f x.yaml version` works, as in docker compose: the project's
    /// flags are taken and play no part.
    @OptionGroup(visibility: .hidden) var project: ProjectOptions

    func run() async throws {
        if short {
            FileHandleOutput.standardOutput(Self.version + "\n")
            return
        }
        FileHandleOutput.standardOutput("Berth version \(Self.version)\n")
    }
}
