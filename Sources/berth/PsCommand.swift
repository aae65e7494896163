import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation

/// `berth ps`: the project's containers.
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("all")], help: "Show stopped containers too.") var all = false
    @Flag(name: [.short, .customLong("quiet")], help: "Only display IDs.") var quiet = false
    @Flag(help: "Display services.") var services = false
    @Option(help: "Filter by status (repeatable): created, running, restarting, exited, dead.") var status: [String] =
        []
    @Option(help: "Filter by a property, as KEY=VALUE (repeatable): status=running.") var filter: [String] = []
    @Option(help: "table or json.") var format: String = "table"
    @Argument(help: "Services.") var serviceNames: [String] = []

    func run() async throws {
        var status = status
        for entry in filter {
            guard entry.hasPrefix("status=") else {
                throw BerthError(.usage, "ps --filter \(entry): the supported filter is status=STATUS")
            }
            status.append(String(entry.dropFirst("status=".count)))
        }
        let (name, _) = try ProjectContext.name(project)
        var containers = try await ProjectContext.call(
            .ps, PsRequest(projectName: name, services: serviceNames, all: all || !status.isEmpty))
        if !status.isEmpty { containers = containers.filter { status.contains($0.state) } }
        if quiet {
            FileHandleOutput.standardOutput(containers.map { $0.id + "\n" }.joined())
        } else if services {
            FileHandleOutput.standardOutput(Set(containers.map(\.service)).sorted().map { $0 + "\n" }.joined())
        } else if format == "json" {
            FileHandleOutput.standardOutput(containers.map { jsonLine($0) + "\n" }.joined())
        } else {
            let rows = containers.map { c in
                [c.name, c.image, c.service, PsCommand.created(c.created), c.status, PsCommand.ports(c.publishers)]
            }
            FileHandleOutput.standardOutput(table(["NAME", "IMAGE", "SERVICE", "CREATED", "STATUS", "PORTS"], rows))
        }
    }

    static func created(_ time: Double) -> String {
        HumanDuration.text(Date().timeIntervalSince1970 - time) + " ago"
    }

    /// docker's PORTS: `0.0.0.0:8080->80/tcp` when published, `80/tcp` when only exposed.
    static func ports(_ publishers: [PublisherSummary]) -> String {
        publishers.map {
            $0.publishedPort == 0 && $0.url.isEmpty
                ? "\($0.targetPort)/\($0.protocol)" : "\($0.url):\($0.publishedPort)->\($0.targetPort)/\($0.protocol)"
        }.joined(separator: ", ")
    }
}
