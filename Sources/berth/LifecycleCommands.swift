import ArgumentParser
import DaemonAPI

/// The shared part of start, stop, restart, kill and rm.
struct ContainerAction {
    static func run(
        _ project: ProjectOptions, _ action: ContainerActionRequest.Action, services: [String], signal: String? = nil,
        timeout: Double? = nil, force: Bool = false, progress: ProgressMode = .auto
    ) async throws {
        let (name, _) = try ProjectContext.name(project)
        let request = ContainerActionRequest(
            projectName: name, action: action, services: services, signal: signal, timeout: timeout, force: force)
        _ = try await ProjectContext.stream(.containerAction, request, printer: ProgressPrinter(mode: progress))
    }
}
