import BerthModel
import Foundation

/// The result of a load: the canonical tree `config` prints, and the typed
/// project read from it on demand.
public struct LoadedProject: Sendable {
    /// The canonical long form: `name`, `services`, `networks`, `volumes`, `secrets`, `configs`, `x-…`.
    public var canonical: Node
    public var name: ProjectName
    /// Where relative paths were resolved from.
    public var projectDirectory: String
    /// The dependency graph, already checked for cycles.
    public var graph: DependencyGraph
    /// The profiles that were active, sorted.
    public var activeProfiles: [String]
    /// Profiles declared by any service (enabled or not), sorted.
    public var allProfiles: [String]
    /// The files that were read, first the ones named.
    public var files: [String]
    /// The values of the variables that top-level secrets and configs name
    /// with `environment:`, read at load; unset ones are missing.
    public var fileObjectEnvironment: [String: String] = [:]

    /// The typed project, with config hashes. Built from `canonical` on each
    /// call (a thousand services take a few milliseconds), so that printing
    /// the canonical form never pays for it: keep the result.
    public var project: Project {
        var project = ModelDecoder(projectDirectory: projectDirectory, environment: fileObjectEnvironment)
            .project(canonical, name: name, activeProfiles: activeProfiles, graph: graph)
        project.configFiles = files.map { file in
            file == "-" || file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        }
        return project
    }

    /// Each service's config hash.
    public var hashes: [String: String] { project.services.mapValues(\.configHash) }
}
