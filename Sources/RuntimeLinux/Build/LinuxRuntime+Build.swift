import BerthModel
import Builder
import Foundation
import HostOS
import Registry
import RuntimeKit

extension LinuxRuntime {
    /// The image builder's backend over this runtime's image store and
    /// container driver, working under `<root>/build`.
    public nonisolated func buildBackend() throws -> LinuxBuildBackend {
        let crunRoot = configuration.crunRoot ?? configuration.root + "/crun"
        return try LinuxBuildBackend(
            store: imageStore, driver: driver, crun: [configuration.crunPath, "--root", crunRoot],
            root: configuration.root, bridges: bridges, hostResolvConf: configuration.hostResolvConf,
            pull: { [self] reference in
                _ = try await self.pullImage(reference, options: ImageTransferOptions(), progress: { _ in })
            })
    }
}

extension LinuxRuntime {
    /// The image `reference` names, or whose ID (config digest, `sha256:` optional) begins with it.
    public func imageDetails(_ reference: String) async throws -> ImageDetails {
        let store = imageStore
        return try await DedicatedThread.run {
            let image = try Self.find(reference, in: store)
            let bytes = try store.configBytes(of: image)
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
            let config = object["config"].flatMap {
                try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])
            }
            return ImageDetails(
                id: image.configDigest.description, repoTags: image.references.map(\.familiar),
                repoDigests: image.repoDigests.map(\.familiar),
                created: image.created, author: object["author"] as? String, architecture: image.architecture,
                os: image.os, size: image.size, layers: image.layers.map(\.diffID.description),
                config: config.map { String(decoding: $0, as: UTF8.self) } ?? "{}")
        }
    }

    private static func find(_ reference: String, in store: ImageStore) throws -> Image {
        if let parsed = try? ImageReference(parsing: reference), let image = try? store.image(parsed) { return image }
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        if hex.count >= 4, let image = try store.list().first(where: { $0.configDigest.hex.hasPrefix(hex) }) {
            return image
        }
        throw BerthError(.notFound, "no such image: \(reference)")
    }
}
