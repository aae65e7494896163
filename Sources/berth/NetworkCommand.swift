import ArgumentParser
import DaemonAPI

/// `berth network ls|inspect|rm|prune`.
struct NetworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Manage networks.",
        subcommands: [List.self, Inspect.self, Remove.self, Prune.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.")
        @Flag(name: [.short, .customLong("quiet")], help: "Only names.") var quiet = false

        func run() async throws {
            let networks = try await ProjectContext.call(.networks, Empty())
            if quiet {
                FileHandleOutput.standardOutput(networks.map { $0.name + "\n" }.joined())
            } else {
                let rows = networks.map { [$0.name, "bridge", $0.subnet, $0.gateway, $0.internal ? "internal" : ""] }
                FileHandleOutput.standardOutput(table(["NAME", "DRIVER", "SUBNET", "GATEWAY", ""], rows))
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show networks as JSON.")
        @Argument(help: "Names.") var names: [String]

        func run() async throws {
            let networks = try await ProjectContext.call(.networks, Empty())
            let chosen = networks.filter { names.contains($0.name) }
            for name in names where !chosen.contains(where: { $0.name == name }) {
                throw BerthErrorHelper.notFound("no such network: \(name)")
            }
            FileHandleOutput.standardOutput(jsonLine(chosen) + "\n")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove networks.")
        @Argument(help: "Names.") var names: [String]

        func run() async throws {
            let removed = try await ProjectContext.call(.networkRemove, NamesRequest(names: names))
            FileHandleOutput.standardOutput(removed.map { $0 + "\n" }.joined())
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Remove every network no container uses.")
        @Flag(name: [.short, .customLong("force")], help: "Do not ask.") var force = false

        func run() async throws {
            let removed = try await ProjectContext.call(.networkPrune, Empty())
            FileHandleOutput.standardOutput(removed.map { $0 + "\n" }.joined())
        }
    }
}
