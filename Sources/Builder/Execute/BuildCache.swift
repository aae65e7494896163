import BerthModel
import Foundation
import Synchronization

/// The build cache's index: each step's cache key → the layer it made, and
/// each finished image's key → its config digest. One JSON file under
/// berthd's root, rewritten whole (temporary file, then rename) after each
/// build, so it survives restarts and is never half-written. The layers
/// themselves live in the image store; an entry whose layer is gone is a miss.
public final class BuildCache: Sendable {
    struct Index: Codable {
        var layers: [String: String] = [:]
        var images: [String: String] = [:]
    }

    /// The index file.
    public let path: String
    private let index: Mutex<Index>

    /// Opens the index at `directory/cache.json`, creating the directory; an
    /// unreadable index is an empty cache (it is only a cache).
    public init(directory: String) throws(BerthError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BerthError(.io, "creating the build cache directory \(directory)", cause: "\(error)")
        }
        path = directory + "/cache.json"
        let loaded = FileManager.default.contents(atPath: path).flatMap {
            try? JSONDecoder().decode(Index.self, from: $0)
        }
        index = Mutex(loaded ?? Index())
    }

    /// The layer a step with this key made, if the cache knows one.
    public func layer(_ key: String) -> String? { index.withLock { $0.layers[key] } }

    /// Remembers the layer a step with this key made.
    public func remember(layer diffID: String, for key: String) { index.withLock { $0.layers[key] = diffID } }

    /// The image a build with this key made, if the cache knows one.
    public func image(_ key: String) -> String? { index.withLock { $0.images[key] } }

    /// Remembers the image a build with this key made.
    public func remember(image id: String, for key: String) { index.withLock { $0.images[key] = id } }

    /// How many steps the cache knows.
    public var count: Int { index.withLock { $0.layers.count } }

    /// Forgets everything (`berth builder prune`).
    public func clear() { index.withLock { $0 = Index() } }

    /// Writes the index to disk.
    public func save() throws(BerthError) {
        let snapshot = index.withLock { $0 }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(snapshot).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw BerthError(.io, "writing the build cache index \(path)", cause: "\(error)")
        }
    }
}
