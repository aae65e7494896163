import BerthModel
import Synchronization

/// What a built stage is: its layers (the base's first) and its image config.
struct StageResult: Sendable {
    var layers: [String]
    var config: DockerImageConfig
    var ran = 0
    var cached = 0
}

/// One build's execution: the plan's levels in order, the stages of a level
/// side by side, each stage's layer steps in order, from the cache when
/// their key is there and their layer still is.
struct BuildExecution: Sendable {
    let backend: any BuildBackend
    let cache: BuildCache
    let plan: BuildPlan
    let keys: CacheKeys
    let context: BuildContext
    /// The layers of each image the build reads, by reference.
    let imageLayers: [String: [String]]
    let request: ImageBuildRequest
    let progress: @Sendable (ImageBuildEvent) -> Void

    /// Builds every planned stage; returns their results by index.
    func run() async throws -> [Int: StageResult] {
        let numbers = stepNumbers()
        var results: [Int: StageResult] = [:]
        for level in plan.levels {
            let done = results
            let finished = try await withThrowingTaskGroup(of: (Int, StageResult).self) { group in
                for index in level {
                    guard let stage = plan.stage(index) else { continue }
                    group.addTask { (index, try await self.build(stage, numbers: numbers, results: done)) }
                }
                var finished: [(Int, StageResult)] = []
                for try await pair in group { finished.append(pair) }
                return finished
            }
            for (index, result) in finished { results[index] = result }
        }
        return results
    }

    /// Each stage's `FROM` and layer steps, numbered through the build as BuildKit's `#N`.
    private func stepNumbers() -> [Int: [Int: Int]] {
        var next = 1
        var numbers: [Int: [Int: Int]] = [:]
        for stage in plan.stages {
            var stageNumbers = [-1: next]
            next += 1
            for (index, step) in stage.steps.enumerated() where step.makesLayer {
                stageNumbers[index] = next
                next += 1
            }
            numbers[stage.index] = stageNumbers
        }
        return numbers
    }

    private func build(
        _ stage: PlannedStage, numbers: [Int: [Int: Int]], results: [Int: StageResult]
    ) async throws -> StageResult {
        let stepNumbers = numbers[stage.index] ?? [:]
        let total = stage.steps.filter(\.makesLayer).count + 1
        var result = StageResult(layers: try baseLayers(stage.base, results: results), config: stage.config)
        let fromName = "[\(stage.displayName) 1/\(total)] FROM \(Self.describe(stage.base, plan))"
        progress(ImageBuildEvent(kind: .started, step: stepNumbers[-1] ?? 0, name: fromName))
        progress(ImageBuildEvent(kind: .done, step: stepNumbers[-1] ?? 0, name: fromName, elapsed: 0))
        var position = 1
        for (index, step) in stage.steps.enumerated() where step.makesLayer {
            position += 1
            let name = "[\(stage.displayName) \(position)/\(total)] \(step.name)"
            let number = stepNumbers[index] ?? 0
            let key = keys.key(stage: stage.index, step: index)
            if !request.noCache, let key, let layer = cache.layer(key), await backend.hasLayer(layer) {
                result.layers.append(layer)
                result.cached += 1
                progress(ImageBuildEvent(kind: .cached, step: number, name: name))
                continue
            }
            progress(ImageBuildEvent(kind: .started, step: number, name: name))
            let start = ContinuousClock.now
            let layer = try await execute(step, layers: result.layers, results: results, number: number, name: name)
            result.layers.append(layer)
            result.ran += 1
            if let key { cache.remember(layer: layer, for: key) }
            let elapsed = start.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            progress(ImageBuildEvent(kind: .done, step: number, name: name, elapsed: seconds))
        }
        result.config.rootfs.diffIDs = result.layers
        return result
    }

    private static func describe(_ base: StageBase, _ plan: BuildPlan) -> String {
        switch base {
        case .scratch: return "scratch"
        case .image(let reference): return reference
        case .stage(let index): return plan.stage(index)?.displayName ?? "stage-\(index)"
        }
    }

    private func baseLayers(_ base: StageBase, results: [Int: StageResult]) throws -> [String] {
        switch base {
        case .scratch: return []
        case .image(let reference): return imageLayers[reference] ?? []
        case .stage(let index):
            guard let result = results[index] else {
                throw BerthError(.buildFailed, "stage \(index) was not built before the stages that use it")
            }
            return result.layers
        }
    }

    /// Where an origin's files are.
    func source(_ origin: MountOrigin, results: [Int: StageResult]) throws -> LayerSource {
        switch origin {
        case .context: return .context(directory: context.directory)
        case .empty: return .empty
        case .image(let reference): return .layers(imageLayers[reference] ?? [])
        case .stage(let index):
            guard let result = results[index] else {
                throw BerthError(.buildFailed, "stage \(index) was not built before the stages that use it")
            }
            return .layers(result.layers)
        }
    }

    /// Runs one layer step; returns its layer.
    private func execute(
        _ step: BuildStep, layers: [String], results: [Int: StageResult], number: Int, name: String
    ) async throws -> String {
        switch step.operation {
        case .run(let run):
            let mounts = try run.mounts.map {
                RunMountSource(mount: $0, source: try source($0.origin, results: results))
            }
            let lines = OutputLines(step: number, name: name, progress: progress)
            let request = RunRequest(step: run, layers: layers, mounts: mounts, secrets: self.request.secrets)
            let progress = progress
            let ticker = Task {
                let start = ContinuousClock.now
                while (try? await Task.sleep(for: .seconds(1))) != nil {
                    let elapsed = start.duration(to: .now).components
                    progress(
                        ImageBuildEvent(
                            kind: .running, step: number, name: name,
                            elapsed: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18))
                }
            }
            defer { ticker.cancel() }
            do {
                let layer = try await backend.run(request) { lines.append($0) }
                lines.flush()
                return layer
            } catch let error as BerthError {
                lines.flush()
                let failure = BerthError(.buildFailed, "\(step.failurePrefix): \(error.message)", cause: error.cause)
                progress(
                    ImageBuildEvent(kind: .failed, step: number, name: name, text: lines.last.joined(separator: "\n")))
                throw failure
            }
        case .copy(let copy):
            var selections: [ContextSource] = []
            if copy.origin == .context {
                for case .path(let path) in copy.sources {
                    selections.append(try context.select(path, excludes: copy.excludes, parents: copy.parents))
                }
            }
            let request = CopyRequest(
                step: copy, layers: layers, source: try source(copy.origin, results: results), selections: selections)
            do {
                return try await backend.copy(request)
            } catch let error as BerthError {
                throw BerthError(.buildFailed, "\(step.failurePrefix): \(error.message)", cause: error.cause)
            }
        case .makeDirectory(let path, let user):
            return try await backend.makeDirectory(path, user: user, layers: layers)
        case .config:
            throw BerthError(.buildFailed, "\(step.failurePrefix): this step makes no layer")
        }
    }
}

/// A step's output split into lines: each reported as it completes, the
/// last few kept for the failure message.
final class OutputLines: Sendable {
    private struct State {
        var partial: [UInt8] = []
        var last: [String] = []
    }

    private let state = Mutex(State())
    let step: Int
    let name: String
    let progress: @Sendable (ImageBuildEvent) -> Void
    static let kept = 10

    init(step: Int, name: String, progress: @escaping @Sendable (ImageBuildEvent) -> Void) {
        self.step = step
        self.name = name
        self.progress = progress
    }

    func append(_ bytes: [UInt8]) {
        let lines = state.withLock { state -> [String] in
            state.partial += bytes
            var lines: [String] = []
            while let newline = state.partial.firstIndex(of: 0x0A) {
                lines.append(String(decoding: state.partial[..<newline], as: UTF8.self))
                state.partial.removeSubrange(...newline)
            }
            state.last = Array((state.last + lines).suffix(Self.kept))
            return lines
        }
        for line in lines { progress(ImageBuildEvent(kind: .output, step: step, name: name, text: line)) }
    }

    /// Reports a last line without its newline.
    func flush() {
        let line = state.withLock { state -> String? in
            guard !state.partial.isEmpty else { return nil }
            let line = String(decoding: state.partial, as: UTF8.self)
            state.partial = []
            state.last = Array((state.last + [line]).suffix(Self.kept))
            return line
        }
        if let line { progress(ImageBuildEvent(kind: .output, step: step, name: name, text: line)) }
    }

    var last: [String] { state.withLock { $0.last } }
}
