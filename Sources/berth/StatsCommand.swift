import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation

/// `berth stats`: docker's resource table for the project's containers,
/// refreshed every second until Ctrl-C, or once with `--no-stream`.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Display a live stream of container(s) resource usage statistics.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("all")], help: "Show all containers (default shows just running).") var all = false
    @Flag(name: .customLong("no-stream"), help: "Print the figures once.") var noStream = false
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate the IDs.") var noTrunc = false
    @Option(help: "table or json.") var format: String = "table"
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        guard format == "table" || format == "json" else {
            throw BerthError(.usage, "stats --format \(format): the supported formats are table and json")
        }
        let (name, _) = try ProjectContext.name(project)
        let request = StatsRequest(projectName: name, services: services, all: all)
        while true {
            let entries = try await ProjectContext.call(.stats, request)
            let text =
                format == "json"
                ? entries.map { jsonLine(StatsCommand.row($0, truncate: !noTrunc)) + "\n" }.joined()
                : StatsCommand.render(entries, truncate: !noTrunc)
            // A refreshed screen, as docker's: home and clear, then the table.
            FileHandleOutput.standardOutput((noStream || format == "json" ? "" : "\u{1B}[2J\u{1B}[H") + text)
            if noStream { return }
        }
    }

    /// docker's JSON keys and text forms.
    struct Row: Encodable {
        var blockIO: String
        var cpuPercent: String
        var container: String
        var id: String
        var memoryPercent: String
        var memoryUsage: String
        var name: String
        var networkIO: String
        var pids: String

        enum CodingKeys: String, CodingKey {
            case blockIO = "BlockIO", cpuPercent = "CPUPerc", container = "Container", id = "ID"
            case memoryPercent = "MemPerc", memoryUsage = "MemUsage", name = "Name", networkIO = "NetIO", pids = "PIDs"
        }
    }

    static func row(_ entry: StatsEntry, truncate: Bool) -> Row {
        let percent = entry.memoryLimit > 0 ? Double(entry.memoryUsage) / Double(entry.memoryLimit) * 100 : 0
        return Row(
            blockIO: decimal(entry.blockRead) + " / " + decimal(entry.blockWritten),
            cpuPercent: String(format: "%.2f%%", entry.cpuPercent), container: entry.id,
            // Berth's container ID is its name: cut to docker's 12 it would
            // read as another container's, so only a long one is shortened.
            id: truncate && entry.id.count > 32 ? String(entry.id.prefix(31)) + "…" : entry.id,
            memoryPercent: String(format: "%.2f%%", percent),
            memoryUsage: binary(entry.memoryUsage) + " / " + binary(entry.memoryLimit), name: entry.name,
            networkIO: decimal(entry.networkReceived) + " / " + decimal(entry.networkSent), pids: String(entry.pids))
    }

    static func render(_ entries: [StatsEntry], truncate: Bool) -> String {
        let rows = entries.map { row($0, truncate: truncate) }.map {
            [$0.id, $0.name, $0.cpuPercent, $0.memoryUsage, $0.memoryPercent, $0.networkIO, $0.blockIO, $0.pids]
        }
        return table(
            ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"], rows)
    }

    /// docker's `units.HumanSizeWithPrecision(n, 3)`: `1.23kB`, `648B`.
    static func decimal(_ value: UInt64) -> String {
        scaled(Double(value), base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB"], format: "%.3g")
    }

    /// docker's `units.BytesSize(n)`: `3.328MiB`, `7.765GiB`.
    static func binary(_ value: UInt64) -> String {
        scaled(Double(value), base: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], format: "%.4g")
    }

    private static func scaled(_ value: Double, base: Double, units: [String], format: String) -> String {
        var size = value
        var unit = 0
        while size >= base && unit < units.count - 1 {
            size /= base
            unit += 1
        }
        return String(format: format, size) + units[unit]
    }
}
