import ArgumentParser
import DaemonAPI

/// `berth images`: the images the project's containers use.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List images used by the created containers.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("quiet")], help: "Only display IDs.") var quiet = false
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        let (name, _) = try ProjectContext.name(project)
        let containers = try await ProjectContext.call(
            .ps, PsRequest(projectName: name, services: services, all: true))
        let images = try await ProjectContext.call(.images, Empty())
        let rows = containers.map { c -> [String] in
            let image = images.first { $0.reference == c.image || $0.reference == c.image + ":latest" }
            let parts = c.image.split(separator: ":", maxSplits: 1)
            return [
                c.name, String(parts[0]), parts.count > 1 ? String(parts[1]) : "latest",
                String((image?.digest ?? "").dropFirst(7).prefix(12)), ImageCommand.size(image?.size ?? 0),
            ]
        }
        if quiet {
            FileHandleOutput.standardOutput(Set(rows.map { $0[3] }).sorted().map { $0 + "\n" }.joined())
        } else {
            FileHandleOutput.standardOutput(table(["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"], rows))
        }
    }
}
