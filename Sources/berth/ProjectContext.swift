import BerthModel
import ComposeLoader
import DaemonAPI
import DaemonClient
import Foundation

/// Loading the project a command acts on, and talking to berthd about it.
enum ProjectContext {
    /// Loads and validates the compose files: errors name file:line:col
    /// before anything reaches the daemon.
    static func load(_ options: ProjectOptions, services: [String] = []) throws -> LoadedProject {
        try ComposeLoader(options: options.loadOptions(services: services)).load()
    }

    /// The project's name: from the compose files, or `-p` alone when
    /// there are none (`berth -p demo down` anywhere, as docker compose allows).
    static func name(_ options: ProjectOptions) throws -> (name: String, project: Project?) {
        do {
            let loaded = try load(options)
            return (loaded.name.rawValue, loaded.project)
        } catch let error as BerthError where error.code == .noComposeFile {
            guard let name = options.projectName ?? ProcessInfo.processInfo.environment["COMPOSE_PROJECT_NAME"] else {
                throw error
            }
            return (name, nil)
        }
    }

    /// Runs a streaming command, showing its progress, and returns its result.
    static func stream<Request, Result>(
        _ endpoint: StreamingEndpoint<Request, ProgressEvent, Result>, _ request: Request, printer: ProgressPrinter
    ) async throws -> Result {
        try await Daemon.connect().stream(endpoint, request) { printer.handle($0) }
    }

    /// One plain call.
    static func call<Request, Response>(_ endpoint: Endpoint<Request, Response>, _ request: Request) async throws
        -> Response
    {
        try await Daemon.connect().call(endpoint, request)
    }
}

/// Parses `--scale svc=n`.
func parseScale(_ values: [String]) throws -> [String: Int] {
    var result: [String: Int] = [:]
    for value in values {
        let parts = value.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let n = Int(parts[1]), n >= 0 else {
            throw BerthError(.usage, "--scale \(value): expected SERVICE=NUMBER")
        }
        result[String(parts[0])] = n
    }
    return result
}

/// Prints rows as aligned columns, as docker's tables are.
func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows {
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, cell in
            i == cells.count - 1 ? cell : cell.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0)
        }.joined()
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
}

/// JSON for machine output, keys sorted.
func jsonLine<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}
