import ArgumentParser
import DaemonAPI

/// `berth events`: container events as they happen.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Receive real time events from containers.")

    @OptionGroup var project: ProjectOptions
    @Flag(help: "Output events as a stream of JSON objects.") var json = false
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        let (name, _) = try ProjectContext.name(project)
        // Frames, not `stream`: it ends quietly on whatever frame ends it.
        let frames = try await Daemon.connect().frames(.events, EventsRequest(projectName: name))
        for try await frame in frames {
            guard case .item(let event) = frame else { continue }
            if !services.isEmpty && !services.contains(event.service) { continue }
            if json {
                FileHandleOutput.standardOutput(jsonLine(event) + "\n")
            } else {
                let attributes = event.attributes.keys.sorted().map { "\($0)=\(event.attributes[$0] ?? "")" }.joined(
                    separator: ", ")
                FileHandleOutput.standardOutput(
                    "\(event.time) \(event.type) \(event.action) \(event.id) (\(attributes))\n")
            }
        }
    }
}
