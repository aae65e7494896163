import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation

/// `berth system df`.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage berthd's disk.", subcommands: [DiskUsage.self])

    /// `berth system df`: docker's table of what images, containers, local
    /// volumes and the build cache hold on disk, and what a prune frees.
    struct DiskUsage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "df", abstract: "Show disk usage.")
        @Option(help: "Output format: table or json.") var format: String = "table"

        func run() async throws {
            let rows = try await ProjectContext.call(.systemDiskUsage, Empty())
            switch format {
            case "json": FileHandleOutput.standardOutput(rows.map { jsonLine($0) + "\n" }.joined())
            case "table": FileHandleOutput.standardOutput(Self.table(rows))
            default: throw BerthError(.usage, "--format \(format): expected table or json")
            }
        }

        /// docker's columns: each as wide as its widest cell and 3 spaces,
        /// at least 10 (the CLI's tabwriter); RECLAIMABLE with its share of
        /// SIZE in percent, except for the build cache, as docker prints it.
        static func table(_ rows: [DiskUsageRow]) -> String {
            let header = ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
            let cells = rows.map { row -> [String] in
                var reclaimable = DecimalSize.text(row.reclaimable)
                if row.type != "Build Cache", row.size > 0 { reclaimable += " (\(row.reclaimable * 100 / row.size)%)" }
                return [row.type, "\(row.total)", "\(row.active)", DecimalSize.text(row.size), reclaimable]
            }
            var widths = header.map { max($0.count + 3, 10) }
            for row in cells {
                for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count + 3) }
            }
            func line(_ row: [String]) -> String {
                row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined() + "\n"
            }
            return ([header] + cells).map(line).joined()
        }
    }
}

/// `berth builder prune`.
struct BuilderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder", abstract: "Manage the build cache.", subcommands: [Prune.self])

    /// `berth builder prune [-a] [--keep-storage SIZE] [-f]`, as docker's:
    /// without `-f` it asks first; it ends with the bytes it freed.
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Remove build cache.",
            discussion: """
                Without --all, only the cache entries whose layers no image uses (docker's dangling \
                cache). --keep-storage stops once the cache holds at most SIZE, least recently used \
                entries going first.
                """)
        @Flag(name: [.short, .customLong("all")], help: "Remove all build cache, not only dangling entries.")
        var all = false
        @Option(name: .customLong("keep-storage"), help: "Amount of disk space to keep for cache (10GB, 512MB).")
        var keepStorage: String?
        @Flag(name: [.short, .customLong("force")], help: "Do not prompt for confirmation.") var force = false

        func run() async throws {
            var request = BuilderPruneRequest(all: all)
            if let keepStorage {
                guard let bytes = DecimalSize.parse(keepStorage) else {
                    throw BerthError(.usage, "--keep-storage \(keepStorage): expected a size such as 10GB or 512MB")
                }
                request.keepStorage = bytes
            }
            if !force {
                let what = all ? "all build cache" : "all dangling build cache"
                FileHandleOutput.standardError(
                    "WARNING! This will remove \(what). Are you sure you want to continue? [y/N] ")
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                guard answer == "y" || answer == "yes" else { return }
            }
            let result = try await ProjectContext.call(.builderPrune, request)
            FileHandleOutput.standardOutput("Total reclaimed space: \(DecimalSize.text(result.reclaimed))\n")
        }
    }
}
