import BerthModel
import RuntimeKit

/// A registry in memory: tests put images "on the registry" with
/// `addRemoteImage`, and `pullImage` copies them into the store as the
/// real runtime does (with the same error codes), recording `pull NAME`.
extension FakeRuntime {
    /// Puts an image on the fake registry (replacing one of the same name:
    /// a tag that moved), with a digest and the layers it is made of.
    public func addRemoteImage(_ reference: String, digest: String? = nil, layers: [String] = ["sha256:base"]) {
        remoteImages[reference] = RemoteImage(digest: digest ?? "sha256:remote-\(reference)", layers: layers)
    }

    /// Makes every pull of `reference` fail with `error`.
    public func failPulls(of reference: String, with error: BerthError) {
        pullFailures[reference] = error
    }

    /// Copies the fake registry's image into the store, reporting its layers; `manifest-unknown` when it has none.
    public func pullImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> ImageInfo {
        record("pull \(reference)" + (options.platform.map { " --platform \($0)" } ?? ""))
        if let error = pullFailures[reference] { throw error }
        guard let remote = remoteImages[reference] else {
            throw BerthError(
                .manifestUnknown, "pulling \(reference): the registry has no such repository or tag",
                cause: "404 MANIFEST_UNKNOWN: manifest unknown")
        }
        for layer in remote.layers {
            progress(
                LayerProgress(image: reference, layer: layer, status: "Pull complete", current: 1, total: 1, done: true)
            )
        }
        let info = ImageInfo(
            reference: reference, digest: remote.digest, size: Int64(remote.layers.count),
            repoDigests: ["\(reference.split(separator: ":").first ?? "")@\(remote.digest)"])
        storeImage(info)
        return info
    }

    /// Puts the store's image on the fake registry; returns its digest.
    public func pushImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> String {
        record("push \(reference)")
        let info = try await image(reference)
        remoteImages[reference] = RemoteImage(digest: info.digest, layers: ["sha256:base"])
        return info.digest
    }

    /// Names the image `source` names `target` too.
    public func tagImage(_ source: String, as target: String) async throws -> ImageInfo {
        record("tag \(source) \(target)")
        var info = try await image(source)
        info.reference = target
        storeImage(info)
        return info
    }
}

/// An image on `FakeRuntime`'s registry.
struct RemoteImage: Sendable, Hashable {
    var digest: String
    var layers: [String]
}
