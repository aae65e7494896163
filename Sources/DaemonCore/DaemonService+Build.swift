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

    /// `berth builder prune`.
    public func pruneBuildCache(_ request: BuilderPruneRequest) async throws -> BuilderPruneResult {
        guard let builder else { return BuilderPruneResult(removed: 0, reclaimed: 0) }
        return try await builder.pruneCache(request)
    }

    /// `berth system df`: the runtime's rows, then the build cache's.
    public func diskUsage() async throws -> [DiskUsageRow] {
        var rows = try await runtime.diskUsage()
        let cache =
            try await builder?.cacheUsage()
            ?? DiskUsageRow(type: "Build Cache", total: 0, active: 0, size: 0, reclaimable: 0)
        rows.append(cache)
        return rows
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
        for (build, tags) in builds {
            try await buildImage(build.request(tags: tags, secrets: project.secrets), report: report)
        }
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
    private func buildImage(_ request: ImageBuildRequest, report: @escaping ProgressSink) async throws {
        guard let builder else {
            throw BerthError(
                .unsupported,
                "image \(request.tags.joined(separator: ", ")) must be built, but this daemon cannot build")
        }
        let name = request.tags.joined(separator: ", ")
        let start = ContinuousClock.now
        func elapsed() -> Double {
            let duration = start.duration(to: .now)
            return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        report(ProgressEvent(kind: .image, name: name, status: "Building", done: false))
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
