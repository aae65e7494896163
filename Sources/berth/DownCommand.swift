import ArgumentParser
import BerthModel
import DaemonAPI

/// `berth down`: stop and remove the stack's containers and networks (and volumes with -v).
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop and remove containers, networks.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("volumes")], help: "Remove named volumes declared in the project.") var volumes =
        false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers of services not in the compose file.")
    var removeOrphans = false
    @Option(name: [.short, .customLong("timeout")], help: "Shutdown timeout in seconds.") var timeout: Double?
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Option(name: .customLong("rmi"), help: "Remove images used by services: local (built, no custom tag) or all.")
    var removeImages: String?

    func run() async throws {
        if let removeImages, removeImages != "local", removeImages != "all" {
            throw BerthError(.usage, "down --rmi \(removeImages): the values are local and all")
        }
        // Every profile: a service that was started under a profile not
        // given now is still the project's, and down takes it away too
        // (else its container keeps the network in use).
        var everyProfile = project
        everyProfile.profiles = ["*"]
        let (name, loaded) = try ProjectContext.name(everyProfile)
        let request = DownRequest(
            projectName: name, project: loaded, removeVolumes: volumes, removeOrphans: removeOrphans, timeout: timeout,
            removeImages: removeImages)
        _ = try await ProjectContext.stream(.down, request, printer: ProgressPrinter(mode: progress))
    }
}
