import BerthModel
import Foundation
import HostOS
import Supervisor

/// berthd's memory of what it was asked, on disk: each project's last `up`
/// and the supervisor's last snapshot. Written whole with `AtomicFile`, so a
/// `kill -9` never leaves half a file.
struct ProjectStore: Sendable {
    let root: String

    var directory: String { root + "/projects" }

    func save(_ project: Project) throws {
        let data: Data
        do {
            data = try JSONEncoder().encode(project)
        } catch {
            throw BerthError(.daemonInternal, "cannot encode project \(project.name)", cause: "\(error)")
        }
        try write(data, to: directory + "/\(project.name.rawValue).json")
    }

    func load(_ name: String) -> Project? {
        guard let data = FileManager.default.contents(atPath: directory + "/\(name).json") else { return nil }
        return try? JSONDecoder().decode(Project.self, from: data)
    }

    func loadAll() -> [Project] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().compactMap { load(String($0.dropLast(5))) }
    }

    func remove(_ name: String) {
        try? FileManager.default.removeItem(atPath: directory + "/\(name).json")
    }

    /// The supervisor's state, for the next berthd; not when the root is
    /// gone (a save that came after the root was removed made it again).
    func saveSupervisorSnapshot(_ snapshot: [ContainerStatus]) {
        guard access(root, F_OK) == 0, let data = try? JSONEncoder().encode(snapshot) else { return }
        try? write(data, to: root + "/supervisor.json")
    }

    func loadSupervisorSnapshot() -> [ContainerStatus] {
        guard let data = FileManager.default.contents(atPath: root + "/supervisor.json") else { return [] }
        return (try? JSONDecoder().decode([ContainerStatus].self, from: data)) ?? []
    }

    private func write(_ data: Data, to path: String) throws {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        do {
            // Root's alone: a project holds its environment and its probes' output.
            try Files.makeDirectories(directory, mode: 0o700)
            try AtomicFile.write(Array(data), to: path, mode: 0o600)
        } catch {
            throw BerthError(.daemonInternal, "cannot write \(path)", cause: error.description)
        }
    }
}
