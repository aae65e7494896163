import ArgumentParser
import BerthModel
import DaemonAPI

/// `berth volume create|ls|inspect|rm|prune`.
struct VolumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes.",
        subcommands: [Create.self, List.self, Inspect.self, Remove.self, Prune.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume.")
        @Option(help: "KEY=VALUE (repeatable).") var label: [String] = []
        @Argument(help: "Name.") var name: String

        func run() async throws {
            var labels: [String: String] = [:]
            for entry in label {
                let parts = entry.split(separator: "=", maxSplits: 1)
                labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            let volume = try await ProjectContext.call(
                .volumeCreate, VolumeCreateRequest(name: name, labels: labels))
            FileHandleOutput.standardOutput(volume.name + "\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.")
        @Flag(name: [.short, .customLong("quiet")], help: "Only names.") var quiet = false

        func run() async throws {
            let volumes = try await ProjectContext.call(.volumes, Empty())
            if quiet {
                FileHandleOutput.standardOutput(volumes.map { $0.name + "\n" }.joined())
            } else {
                FileHandleOutput.standardOutput(table(["DRIVER", "VOLUME NAME"], volumes.map { ["local", $0.name] }))
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show volumes as JSON.")
        @Argument(help: "Names.") var names: [String]

        func run() async throws {
            let volumes = try await ProjectContext.call(.volumes, Empty())
            let chosen = volumes.filter { names.contains($0.name) }
            for name in names where !chosen.contains(where: { $0.name == name }) {
                throw BerthErrorHelper.notFound("no such volume: \(name)")
            }
            FileHandleOutput.standardOutput(jsonLine(chosen) + "\n")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove volumes.")
        @Argument(help: "Names.") var names: [String]

        func run() async throws {
            let removed = try await ProjectContext.call(.volumeRemove, NamesRequest(names: names))
            FileHandleOutput.standardOutput(removed.map { $0 + "\n" }.joined())
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Remove every volume no container uses.")
        @Flag(name: [.short, .customLong("force")], help: "Do not ask.") var force = false

        func run() async throws {
            let removed = try await ProjectContext.call(.volumePrune, Empty())
            FileHandleOutput.standardOutput(removed.map { $0 + "\n" }.joined())
        }
    }
}

enum BerthErrorHelper {
    static func notFound(_ message: String) -> BerthError { BerthError(.notFound, message) }
}
