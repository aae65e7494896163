import BerthModel
import DaemonAPI
import Foundation
import RuntimeKit

extension DaemonService {
    /// `berth image build` / `berth build`: one build, its steps reported as they go.
    public func build(
        _ request: ImageBuildRequest, send: @escaping @Sendable (ImageBuildEvent) -> Void
    ) async throws -> ImageBuildResult {
        guard let builder else { throw BerthError(.unsupported, "this daemon cannot build images") }
        return try await builder.build(request, progress: send)
    }

    /// `berth image inspect`: each image, by name or ID.
    public func imageDetails(_ names: [String]) async throws -> [ImageDetails] {
        var details: [ImageDetails] = []
        for name in names { details.append(try await runtime.imageDetails(name)) }
        return details
    }

    /// Before `up` reconciles: builds the images of the `build:` services in
    /// scope that are missing (all of them with `--build`; none with
    /// `--no-build`). Services with the same `build:` are built once, and
    /// their image gets each of their names. A service's image is its
    /// `image:`, else `<project>-<service>`, as docker compose names it.
    ///
    /// Returns the project with each built service's config hash extended
    /// by its image's digest, so that a service whose image was rebuilt
    /// differently is recreated, as docker compose recreates it.
    func buildImages(_ request: UpRequest, report: @escaping ProgressSink) async throws -> Project {
        var project = request.project
        guard !request.noBuild else { return try await withImageDigests(project) }
        let scope =
            request.services.isEmpty
            ? project.serviceNames : project.graph.selecting(request.services, noDeps: request.noDeps)
        var builds: [(build: Build, tags: [String])] = []
        for name in scope {
            guard let service = project.services[name], let build = service.build else { continue }
            let tag = project.imageName(of: service)
            if !request.build, (try? await runtime.image(tag)) != nil { continue }
            if let index = builds.firstIndex(where: { $0.build == build }) {
                if !builds[index].tags.contains(tag) { builds[index].tags.append(tag) }
            } else {
                builds.append((build, [tag]))
            }
        }
        for (build, tags) in builds { try await buildImage(build, tags: tags, report: report) }
        project = try await withImageDigests(project)
        return project
    }

    /// The project with the config hash of each `build:` service extended by its image's digest.
    private func withImageDigests(_ project: Project) async throws -> Project {
        var project = project
        for (name, service) in project.services where service.build != nil {
            let tag = project.imageName(of: service)
            guard let image = try? await runtime.image(tag) else { continue }
            project.services[name]?.configHash = service.configHash + "-" + String(image.digest.dropFirst(7).prefix(12))
        }
        return project
    }

    /// One `build:`, reported as compose reports an image: Building, then Built.
    private func buildImage(_ build: Build, tags: [String], report: @escaping ProgressSink) async throws {
        guard let builder else {
            throw BerthError(
                .unsupported, "image \(tags.joined(separator: ", ")) must be built, but this daemon cannot build")
        }
        let name = tags.joined(separator: ", ")
        let start = ContinuousClock.now
        func elapsed() -> Double {
            let duration = start.duration(to: .now)
            return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        report(ProgressEvent(kind: .image, name: name, status: "Building", done: false))
        var args: [String: String] = [:]
        for (key, value) in build.args { if let value { args[key] = value } }
        let request = ImageBuildRequest(
            context: build.context, dockerfile: build.dockerfile, tags: tags, target: build.target, buildArgs: args)
        do {
            _ = try await builder.build(request) { _ in }
        } catch let error as BerthError {
            report(
                ProgressEvent(
                    kind: .image, name: name, status: "Error", done: true, elapsed: elapsed(), detail: error.message))
            throw error
        }
        report(ProgressEvent(kind: .image, name: name, status: "Built", done: true, elapsed: elapsed()))
    }
}
