import AsyncHTTPClient
import BerthModel
import NIOHTTP1

/// An image as a registry has it, for one platform: what a pull fetches.
public struct ResolvedImage: Sendable {
    /// The reference asked for.
    public let reference: ImageReference
    /// The index (or manifest list) the reference named, when it named one.
    public let index: ManifestDocument?
    /// The image manifest for the platform (from the index, or the reference's own).
    public let manifest: ManifestDocument
    /// `manifest`, decoded.
    public let imageManifest: ImageManifest
    /// The platform of the index entry chosen; nil without an index.
    public let platform: Platform?
    /// Where the manifest came from (a mirror, or the registry): blobs are fetched there first.
    let source: Endpoint

    /// The config blob.
    public var config: Descriptor { imageManifest.config }
    /// The layers, base first.
    public var layers: [Descriptor] { imageManifest.layers }
    /// The digest docker shows in `RepoDigests` (`name@digest`): the
    /// index's when there is one (what the tag points at), else the manifest's.
    public var repositoryDigest: Digest { index?.digest ?? manifest.digest }
}

extension RegistryClient {
    /// Resolves `reference` for `platform`: its manifest (by digest when it
    /// pins one, the tag otherwise) and, for an index, the entry containerd's
    /// matcher picks, fetched by digest. Every manifest's bytes are checked
    /// against the digest they were asked by, or the `Docker-Content-Digest`
    /// the registry gave. Docker Hub's mirrors are tried first.
    public func resolve(_ reference: ImageReference, platform: Platform = .host) async throws(BerthError)
        -> ResolvedImage
    {
        let endpoints = try await endpoints(for: reference.domain, purpose: "pulling \(reference.familiar)")
        var failure: BerthError?
        for endpoint in endpoints {
            do {
                return try await resolve(reference, platform: platform, on: endpoint)
            } catch {
                // A mirror that fails (down, or without the image) gives way to the next, then to the registry.
                guard endpoint.isMirror, error.code != .platformNotFound, error.code != .cancelled else { throw error }
                failure = error
            }
        }
        throw failure ?? BerthError(.registryUnreachable, "no endpoint for \(reference.domain)")
    }

    private func resolve(_ reference: ImageReference, platform: Platform, on endpoint: Endpoint)
        async throws(BerthError)
        -> ResolvedImage
    {
        let top = try await fetchManifest(reference.manifestReference, of: reference, on: endpoint)
        switch top.content {
        case .image(let manifest):
            return ResolvedImage(
                reference: reference, index: nil, manifest: top, imageManifest: manifest, platform: nil,
                source: endpoint)
        case .index(let index):
            let entry = try index.select(PlatformMatcher(platform), image: reference.familiar)
            let child = try await fetchManifest(entry.digest.description, of: reference, on: endpoint)
            guard case .image(let manifest) = child.content else {
                throw BerthError(
                    .unsupported,
                    "\(reference.familiar): the entry for \(platform) is itself an index (\(entry.digest))")
            }
            return ResolvedImage(
                reference: reference, index: top, manifest: child, imageManifest: manifest, platform: entry.platform,
                source: endpoint)
        }
    }

    /// `GET /v2/<name>/manifests/<tag or digest>`, checked and decoded.
    func fetchManifest(_ tagOrDigest: String, of reference: ImageReference, on endpoint: Endpoint)
        async throws(BerthError)
        -> ManifestDocument
    {
        let name = reference.repositoryName
        var request = RegistryRequest(
            path: "/v2/\(name)/manifests/\(tagOrDigest)", scopes: ["repository:\(name):pull"],
            what: "fetching the manifest \(name):\(tagOrDigest) from \(endpoint)")
        request.headers.add(name: "Accept", value: MediaType.manifestTypes.joined(separator: ", "))
        let response = try await send(request, on: endpoint, domain: reference.domain)
        let body = try await collect(response.body, limit: configuration.maximumManifestSize, what: request.what)
        guard response.status == .ok else {
            throw manifestError(response.status, body: body, reference: reference, tagOrDigest: tagOrDigest, endpoint)
        }
        let what = "\(reference.repository)@\(tagOrDigest)"
        let document = try ManifestDocument(
            bytes: body, contentType: response.headers.first(name: "Content-Type"), what: what)
        let expected =
            tagOrDigest.hasPrefix("sha256:") ? tagOrDigest : response.headers.first(name: "Docker-Content-Digest")
        if let expected, expected.hasPrefix("sha256:"), expected != document.digest.description {
            throw BerthError(
                .digestMismatch,
                "the manifest of \(what) from \(endpoint) hashes to \(document.digest), not the \(expected) it was served as"
            )
        }
        return document
    }

    /// One line that names the registry, the repository, the tag or digest,
    /// and what the registry said.
    private func manifestError(
        _ status: HTTPResponseStatus, body: [UInt8], reference: ImageReference, tagOrDigest: String,
        _ endpoint: Endpoint
    ) -> BerthError {
        let name = reference.repositoryName
        let kind = tagOrDigest.hasPrefix("sha256:") ? "manifest" : "tag"
        let message: String
        switch status.code {
        case 401:
            message =
                "registry \(endpoint) refused access to repository \"\(name)\" (\(kind) \(tagOrDigest)); "
                + "log in with `berth login \(reference.domain)`, or check the name"
        case 403:
            message = "registry \(endpoint) denies access to repository \"\(name)\" (\(kind) \(tagOrDigest))"
        case 404 where RegistryErrorBody.code(body) == "NAME_UNKNOWN":
            message = "registry \(endpoint) has no repository \"\(name)\" (asked for \(kind) \(tagOrDigest))"
        default:
            message = "registry \(endpoint) has no \(kind) \(tagOrDigest) in repository \"\(name)\""
        }
        return RegistryErrorBody.error(
            status: status, body: body, code: .registryProtocol, notFoundCode: .manifestUnknown,
            message: status.code == 404 || status.code == 401 || status.code == 403
                ? message : "registry \(endpoint) failed fetching \(kind) \(tagOrDigest) of repository \"\(name)\"")
    }
}
