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
        /// Each step key's last use (made or found), seconds since 1970:
        /// `builder prune --keep-storage` forgets the least recently used first.
        var used: [String: Double] = [:]

        init() {}

        /// An index written before `used` was kept has every entry unused since 1970.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            layers = try c.decodeIfPresent([String: String].self, forKey: .layers) ?? [:]
            images = try c.decodeIfPresent([String: String].self, forKey: .images) ?? [:]
            used = try c.decodeIfPresent([String: Double].self, forKey: .used) ?? [:]
        }
    }

    /// One step the cache knows: its key, its layer, when it was last used.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var layer: String
        public var lastUsed: Double
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

    /// The layer a step with this key made, if the cache knows one (which counts as a use).
    public func layer(_ key: String) -> String? {
        let now = Date().timeIntervalSince1970
        return index.withLock { index in
            guard let layer = index.layers[key] else { return nil }
            index.used[key] = now
            return layer
        }
    }

    /// Remembers the layer a step with this key made.
    public func remember(layer diffID: String, for key: String) {
        let now = Date().timeIntervalSince1970
        index.withLock {
            $0.layers[key] = diffID
            $0.used[key] = now
        }
    }

    /// Every step the cache knows.
    public var entries: [Entry] {
        index.withLock { index in
            index.layers.map { Entry(key: $0.key, layer: $0.value, lastUsed: index.used[$0.key] ?? 0) }
        }
    }

    /// Forgets these steps, and with `images` the images built before, so
    /// that the next build makes its image anew rather than finding it.
    public func forget(_ keys: Set<String>, images: Bool) {
        index.withLock { index in
            for key in keys {
                index.layers[key] = nil
                index.used[key] = nil
            }
            if images { index.images = [:] }
        }
    }

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
