import BerthModel
import Foundation
import RuntimeKit

/// Builds images: a Dockerfile planned by `BuildGraph`, keyed by
/// `CacheKeys`, executed by a `BuildBackend` stage by stage (the stages of
/// one level side by side), each layer step found in the cache or run.
/// Only a successful build tags its image.
public struct ImageBuilder: ImageBuilding {
    let backend: any BuildBackend
    /// The cache index, shared by every build of this daemon.
    public let cache: BuildCache

    /// A builder over `backend`, its cache index under `cacheDirectory`.
    public init(backend: any BuildBackend, cacheDirectory: String) throws(BerthError) {
        self.backend = backend
        cache = try BuildCache(directory: cacheDirectory)
    }

    public func build(
        _ request: ImageBuildRequest, progress: @escaping @Sendable (ImageBuildEvent) -> Void
    ) async throws -> ImageBuildResult {
        let source: DockerfileSource =
            request.dockerfileInline.map { .inline($0) } ?? .file(request.dockerfile ?? "Dockerfile")
        let (context, dockerfile) = try BuildContext.open(directory: request.context, dockerfile: source)
        let options = BuildOptions(
            target: request.target, buildArgs: request.buildArgs, labels: request.labels, network: request.network,
            extraHosts: request.extraHosts ?? [], shmSize: request.shmSize, ulimits: request.ulimits ?? [])
        var request = request
        let secretDirectory = try writeSecretValues(&request)
        defer { if let secretDirectory { try? FileManager.default.removeItem(atPath: secretDirectory) } }
        let graph = try BuildGraph(dockerfile: dockerfile, options: options)
        let (images, imageLayers) = try await resolveImages(
            graph, pull: request.pull, aliases: request.namedImages ?? [:])
        let plan = try graph.plan(images: images)
        for note in plan.notes { progress(ImageBuildEvent(kind: .note, step: 0, name: "", text: note.description)) }
        let keys = try CacheKeys.compute(plan, images: images, context: context)
        let execution = BuildExecution(
            backend: backend, cache: cache, plan: plan, keys: keys, context: context, imageLayers: imageLayers,
            request: request, progress: progress)
        defer { try? cache.save() }
        let results = try await execution.run()
        guard let result = results[plan.target], let targetKeys = keys.stages[plan.target] else {
            throw BerthError(.buildFailed, "the build ended without its target stage")
        }
        let ran = results.values.reduce(0) { $0 + $1.ran }
        let cached = results.values.reduce(0) { $0 + $1.cached }
        let id = try await commit(result.config, key: targetKeys.result, tags: request.tags, noCache: request.noCache)
        return ImageBuildResult(id: id, tags: request.tags, ran: ran, cached: cached)
    }

    /// Writes the secrets given by value to files of their own (0600 in a
    /// 0700 directory beside the cache index) for `RUN --mount=type=secret`
    /// to bind, and names them in `request.secrets`; the directory, which
    /// the caller removes after the build, or nil when there were none.
    private func writeSecretValues(_ request: inout ImageBuildRequest) throws(BerthError) -> String? {
        guard let values = request.secretValues, !values.isEmpty else { return nil }
        let base = (cache.path as NSString).deletingLastPathComponent
        let directory = base + "/secrets-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            for (index, (id, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                let path = directory + "/\(index)"
                guard
                    FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                else { throw BerthError(.io, "creating \(path)") }
                try Data(value.utf8).write(to: URL(fileURLWithPath: path))
                request.secrets[id] = path
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            if let error = error as? BerthError { throw error }
            throw BerthError(.io, "writing the build's secrets under \(directory)", cause: "\(error)")
        }
        request.secretValues = nil
        return directory
    }

    /// The images the build reads, from the store, pulled when it lacks
    /// one (as docker's build pulls), or each pulled first with `pull`
    /// (`--pull`); asking again while `ONBUILD` triggers name more. A name
    /// that looks like a misspelt stage is said so, not pulled. A name of
    /// `aliases` (compose's `docker-image://` contexts) reads the image it names.
    private func resolveImages(_ graph: BuildGraph, pull: Bool, aliases: [String: String]) async throws -> (
        [String: BaseImage], [String: [String]]
    ) {
        var images: [String: BaseImage] = [:]
        var layers: [String: [String]] = [:]
        while true {
            let missing = graph.requiredImages(given: images).filter { images[$0] == nil }
            if missing.isEmpty { return (images, layers) }
            for reference in missing {
                let actual = aliases[reference] ?? reference
                let resolved: StoredImage
                do {
                    if pull { try await backend.pull(actual) }
                    resolved = try await backend.resolve(actual)
                } catch let error as BerthError {
                    if let stage = graph.stageHint(forImage: reference) {
                        throw BerthError(error.code, error.message + "; did you mean the stage \"\(stage)\"?")
                    }
                    guard !pull, error.code == .notFound else { throw error }
                    do {
                        try await backend.pull(actual)
                    } catch let failure as BerthError {
                        throw BerthError(
                            failure.code,
                            "FROM \(actual): not in the store, and pulling it failed: \(failure.message)",
                            cause: failure.cause)
                    }
                    resolved = try await backend.resolve(actual)
                }
                images[reference] = resolved.image
                layers[reference] = resolved.layers
            }
        }
    }

    /// Stores the target's image: the same one as last time when nothing
    /// changed (so a rebuild keeps the image ID, as BuildKit's does), else a
    /// new one dated now.
    private func commit(
        _ config: DockerImageConfig, key: String, tags: [String], noCache: Bool
    ) async throws -> String {
        var writer = DigestWriter()
        writer.field("image", key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        writer.field("config", String(decoding: try encoder.encode(config), as: UTF8.self))
        let imageKey = writer.finish()
        if !noCache, let known = cache.image(imageKey), try await backend.retag(known, tags: tags) { return known }
        var dated = config
        let now = Self.timestamp()
        dated.created = now
        for index in dated.history.indices where dated.history[index].created == nil {
            dated.history[index].created = now
        }
        let id = try await backend.commit(dated, tags: tags)
        cache.remember(image: id, for: imageKey)
        return id
    }

    /// Now, in RFC 3339 with nanoseconds, as BuildKit dates images.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
