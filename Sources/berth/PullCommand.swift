import ArgumentParser
import BerthModel
import ComposeLoader
import DaemonAPI
import Foundation

/// `berth pull [SERVICES]`: the images of the project's services (those
/// with an `image:`), all at once, as `docker compose pull` does.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull service images.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("quiet")], help: "Pull without printing progress information.") var quiet = false
    @Flag(name: .customLong("ignore-pull-failures"), help: "Pull what it can and ignore images with pull failures.")
    var ignoreFailures = false
    @Flag(name: .customLong("include-deps"), help: "Also pull services declared as dependencies.")
    var includeDependencies = false
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "Services (default: all).") var services: [String] = []

    func run() async throws {
        let loaded = try ProjectContext.load(project, services: services)
        let names =
            services.isEmpty
            ? loaded.project.serviceNames
            : loaded.project.graph.selecting(services, noDeps: !includeDependencies)
        let references = Set(
            names.compactMap { name -> String? in
                guard let service = loaded.project.services[name], let image = service.image else { return nil }
                // As docker compose: an image the builder makes is not pulled.
                if service.build != nil, service.pullPolicy != "always" { return nil }
                return image
            }
        ).sorted()
        var request = ImagePullRequest(
            references: references, configDirectory: RegistryConfig.directory, ignoreFailures: ignoreFailures)
        for name in names {
            guard let service = loaded.project.services[name], let image = service.image else { continue }
            if let platform = service.platform {
                request.platforms = (request.platforms ?? [:]).merging([image: platform]) { $1 }
            }
        }
        let printer = ProgressPrinter(mode: quiet ? .quiet : progress)
        let result = try await ProjectContext.stream(.imagePull, request, printer: printer)
        for failure in result.failures { printer.note("WARN: \(failure)") }
    }
}

/// `berth push [SERVICES]`: the images of the services that name one.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push service images.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("quiet")], help: "Push without printing progress information.") var quiet = false
    @Flag(name: .customLong("ignore-push-failures"), help: "Push what it can and ignore images with push failures.")
    var ignoreFailures = false
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "Services (default: all).") var services: [String] = []

    func run() async throws {
        let loaded = try ProjectContext.load(project, services: services)
        let names = services.isEmpty ? loaded.project.serviceNames : services
        let references = Set(names.compactMap { loaded.project.services[$0]?.image }).sorted()
        let request = ImagePushRequest(
            references: references, configDirectory: RegistryConfig.directory, ignoreFailures: ignoreFailures)
        let printer = ProgressPrinter(mode: quiet ? .quiet : progress)
        let result = try await ProjectContext.stream(.imagePush, request, printer: printer)
        for failure in result.failures { printer.note("WARN: \(failure)") }
    }
}

/// Where the caller's docker credentials are: `$DOCKER_CONFIG`, else `~/.docker`.
enum RegistryConfig {
    static var directory: String {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["DOCKER_CONFIG"], !configured.isEmpty {
            return URL(fileURLWithPath: configured).standardizedFileURL.path
        }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.docker"
    }
}
