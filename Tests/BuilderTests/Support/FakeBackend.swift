import BerthModel
import Synchronization

@testable import Builder

/// A backend that runs nothing: each step it is asked for makes a new
/// fake layer, and it records what it was asked, so the executor's
/// decisions (what runs, what comes from the cache, in which order) can be
/// checked without root.
final class FakeBackend: BuildBackend {
    struct Call: Hashable {
        var kind: String
        var detail: String
    }

    private let state = Mutex<(calls: [Call], layers: Set<String>, images: [String: [String]], next: Int)>(
        ([], [], [:], 0))
    /// A RUN whose last argument contains this fails with exit code 3.
    let failing: String?

    init(failing: String? = nil) {
        self.failing = failing
    }

    var calls: [Call] { state.withLock { $0.calls } }
    var tags: [String: [String]] { state.withLock { $0.images } }

    func forget() { state.withLock { $0.calls = [] } }

    private func layer(_ kind: String, _ detail: String) -> String {
        state.withLock { state in
            state.next += 1
            let number = String(state.next)
            let id = "sha256:" + String(repeating: "0", count: 64 - number.count) + number
            state.calls.append(Call(kind: kind, detail: detail))
            state.layers.insert(id)
            return id
        }
    }

    func resolve(_ reference: String) async throws -> StoredImage {
        guard reference.hasPrefix("busybox") else { throw BerthError(.notFound, "image \(reference) not found") }
        return StoredImage(
            image: BaseImage(id: "sha256:" + String(repeating: "b", count: 64), config: busyboxConfig()),
            layers: ["sha256:" + String(repeating: "1", count: 64)])
    }

    func hasLayer(_ diffID: String) async -> Bool { state.withLock { $0.layers.contains(diffID) } }

    func run(_ request: RunRequest, output: @escaping @Sendable ([UInt8]) -> Void) async throws -> String {
        let command = request.step.arguments.last ?? ""
        output(Array("running \(command)\n".utf8))
        if let failing, command.contains(failing) {
            output(Array("it went wrong\n".utf8))
            throw BerthError(.buildFailed, "exit code 3")
        }
        return layer("run", command)
    }

    func copy(_ request: CopyRequest) async throws -> String {
        layer("copy", request.step.destination)
    }

    func makeDirectory(_ path: String, user: String?, layers: [String]) async throws -> String {
        layer("mkdir", path)
    }

    func commit(_ config: DockerImageConfig, tags: [String]) async throws -> String {
        let id = layer("commit", config.rootfs.diffIDs.joined(separator: ","))
        state.withLock { state in
            for tag in tags { state.images[tag] = config.rootfs.diffIDs }
        }
        return id
    }

    func retag(_ id: String, tags: [String]) async throws -> Bool {
        state.withLock { $0.layers.contains(id) }
    }

    /// Every layer holds 100 bytes.
    func layerSizes(_ diffIDs: Set<String>) async -> [String: Int64] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: diffIDs.filter { state.layers.contains($0) }.map { ($0, Int64(100)) })
        }
    }

    func layersInImages() async throws -> Set<String> { state.withLock { Set($0.images.values.joined()) } }

    func removeUnusedLayers(_ diffIDs: Set<String>) async throws -> Int64 {
        state.withLock { state in
            let used = Set(state.images.values.joined())
            let going = diffIDs.filter { !used.contains($0) && state.layers.contains($0) }
            state.layers.subtract(going)
            return Int64(going.count * 100)
        }
    }
}
