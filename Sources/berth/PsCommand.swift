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
            FileHandleOutput.standardOutput(containers.map { PsCommand.json($0) + "\n" }.joined())
        } else {
            let rows = containers.map { c in
                [
                    c.name, c.image, PsCommand.command(c.command, width: 20), c.service, PsCommand.created(c.created),
                    c.status, PsCommand.ports(c.publishers),
                ]
            }
            FileHandleOutput.standardOutput(
                table(["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"], rows))
        }
    }

    /// docker's COMMAND: Go-quoted, cut to `width` characters with `…` in a table.
    static func command(_ command: String, width: Int? = nil) -> String {
        guard let width, command.count > width else { return command.goQuoted }
        return (String(command.prefix(width - 1)) + "…").goQuoted
    }

    /// One container as docker compose's `ps --format json` prints it:
    /// Berth's summary with docker's text forms of `Command`, `CreatedAt`,
    /// `Ports` and `RunningFor` (`Names` too).
    static func json(_ container: ContainerSummary) -> String {
        let encoder = JSONEncoder()
        guard let data = try? encoder.encode(container),
            var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return jsonLine(container) }
        object["Command"] = command(container.command)
        object["CreatedAt"] = goTime(container.created)
        object["RunningFor"] = created(container.created)
        object["Ports"] = ports(container.publishers)
        object["Names"] = container.name
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        guard let out = try? JSONSerialization.data(withJSONObject: object, options: options) else {
            return jsonLine(container)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `time.Time.String()` in the local zone, as docker prints `CreatedAt`:
    /// `2024-05-01 10:00:00 +0000 UTC`.
    static func goTime(_ seconds: Double) -> String {
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        localtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S %z %Z", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
