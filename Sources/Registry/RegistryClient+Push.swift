import AsyncHTTPClient
import BerthModel
import Glibc
import NIOCore
import NIOHTTP1

/// A manifest to push: its exact bytes (its digest is theirs) and media type.
public struct ManifestUpload: Sendable, Hashable {
    /// The bytes, sent as they are.
    public var bytes: [UInt8]
    /// `application/vnd.oci.image.manifest.v1+json`, an index type, or docker's.
    public var mediaType: String
    /// A manifest to push.
    public init(bytes: [UInt8], mediaType: String) {
        self.bytes = bytes
        self.mediaType = mediaType
    }
    /// The sha256 of the bytes.
    public var digest: Digest { Digest(of: bytes) }
}

/// An image to push: the manifest a tag will name, the manifests an index
/// lists, and where each blob's bytes are.
public struct ImageUpload: Sendable {
    /// What the tag points at: an image manifest or an index.
    public var manifest: ManifestUpload
    /// For an index: its image manifests, pushed (by digest) before it.
    public var children: [ManifestUpload]
    /// Every blob the manifests name (configs and layers), with the file holding it.
    public var blobs: [(descriptor: Descriptor, path: String)]
    /// Repositories on the same registry known to have a blob (the one it was
    /// pulled from): the registry is asked to mount it from there, not sent it.
    public var mountSources: [Digest: String]

    /// An image to push.
    public init(
        manifest: ManifestUpload, children: [ManifestUpload] = [], blobs: [(descriptor: Descriptor, path: String)],
        mountSources: [Digest: String] = [:]
    ) {
        self.manifest = manifest
        self.children = children
        self.blobs = blobs
        self.mountSources = mountSources
    }
}

/// What a push reports, per blob.
public enum PushEvent: Sendable, Hashable {
    /// The registry has the blob already: not sent.
    case exists(Digest)
    /// Mounted from another repository of the registry: not sent.
    case mounted(Digest, from: String)
    /// Being sent.
    case uploading(Digest, size: Int64)
    /// Sent and accepted.
    case uploaded(Digest)
    /// The manifest was accepted under this digest.
    case manifest(Digest)
}

extension RegistryClient {
    /// Pushes `upload` to `reference` (its tag, or its digest): every blob
    /// the registry lacks (a HEAD first; a cross-repository mount when a
    /// source is known; else a POST and a monolithic PUT streamed from the
    /// file), at most `max-concurrent-uploads` at once, then the index's
    /// manifests by digest, then the manifest. Returns the manifest's digest.
    @discardableResult
    public func push(
        _ upload: ImageUpload, to reference: ImageReference,
        progress: @escaping @Sendable (PushEvent) -> Void = { _ in }
    ) async throws(BerthError) -> Digest {
        let candidates = try await endpoints(for: reference.domain, purpose: "pushing \(reference.familiar)")
        guard let endpoint = candidates.last(where: { !$0.isMirror }) else {
            throw BerthError(.registryUnreachable, "no endpoint for \(reference.domain)")
        }
        let target = PushTarget(client: self, endpoint: endpoint, reference: reference)
        var seen = Set<Digest>()
        let blobs = upload.blobs.filter {
            seen.insert($0.descriptor.digest).inserted && !MediaType.isNonDistributable($0.descriptor.mediaType)
        }
        let slots = AsyncSemaphore(permits: configuration.settings.maxConcurrentUploads)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (descriptor, path) in blobs {
                    let source = upload.mountSources[descriptor.digest]
                    group.addTask {
                        try await slots.withPermit {
                            try await target.pushBlob(descriptor, path: path, mountFrom: source, progress: progress)
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch let error as BerthError {
            throw error
        } catch {
            throw BerthError(.cancelled, "pushing \(reference.familiar) was cancelled", cause: "\(error)")
        }
        for child in upload.children {
            try await target.putManifest(child, as: child.digest.description)
        }
        let digest = try await target.putManifest(upload.manifest, as: reference.manifestReference)
        progress(.manifest(digest))
        return digest
    }
}

/// The requests of one push.
private struct PushTarget: Sendable {
    let client: RegistryClient
    let endpoint: Endpoint
    let reference: ImageReference
    var name: String { reference.repositoryName }
    var pushScope: String { "repository:\(name):pull,push" }

    func pushBlob(_ blob: Descriptor, path: String, mountFrom: String?, progress: @Sendable (PushEvent) -> Void)
        async throws(BerthError)
    {
        var head = RegistryRequest(
            method: .HEAD, path: "/v2/\(name)/blobs/\(blob.digest)", scopes: [pushScope],
            what: "checking for blob \(blob.digest) in \(reference.repository)")
        head.deadline = .seconds(60)
        let exists = try await client.send(head, on: endpoint, domain: reference.domain)
        await client.drain(exists)
        if exists.status == .ok {
            progress(.exists(blob.digest))
            return
        }
        var query = ""
        var scopes = [pushScope]
        if let mountFrom, mountFrom != name {
            query = "?mount=\(blob.digest)&from=\(mountFrom)"
            scopes.append("repository:\(mountFrom):pull")
        }
        let start = RegistryRequest(
            method: .POST, path: "/v2/\(name)/blobs/uploads/\(query)", scopes: scopes,
            what: "starting the upload of blob \(blob.digest) to \(reference.repository)")
        let started = try await client.send(start, on: endpoint, domain: reference.domain)
        let body = try await client.collect(started.body, limit: 64 << 10, what: start.what)
        if started.status == .created, let mountFrom {
            progress(.mounted(blob.digest, from: mountFrom))
            return
        }
        guard started.status == .accepted, let location = started.headers.first(name: "Location") else {
            throw RegistryErrorBody.error(
                status: started.status, body: body, code: .registryProtocol, message: "\(start.what) failed")
        }
        progress(.uploading(blob.digest, size: blob.size))
        try await putBlob(blob, path: path, location: location)
        progress(.uploaded(blob.digest))
    }

    /// The monolithic PUT that ends an upload, the file streamed as the body.
    private func putBlob(_ blob: Descriptor, path: String, location: String) async throws(BerthError) {
        let separator = location.contains("?") ? "&" : "?"
        var put = RegistryRequest(
            method: .PUT, path: location + separator + "digest=\(blob.digest)", scopes: [pushScope],
            what: "uploading blob \(blob.digest) to \(reference.repository)", deadline: nil)
        put.headers.add(name: "Content-Type", value: "application/octet-stream")
        put.body = { .stream(FileChunks(path: path), length: .known(blob.size)) }
        let answer = try await client.send(put, on: endpoint, domain: reference.domain)
        let body = try await client.collect(answer.body, limit: 64 << 10, what: put.what)
        guard answer.status == .created else {
            throw RegistryErrorBody.error(
                status: answer.status, body: body, code: .registryProtocol, message: "\(put.what) failed")
        }
    }

    /// PUT of a manifest under `tagOrDigest`; returns its digest, checked
    /// against the `Docker-Content-Digest` the registry answers with.
    @discardableResult
    func putManifest(_ manifest: ManifestUpload, as tagOrDigest: String) async throws(BerthError) -> Digest {
        var put = RegistryRequest(
            method: .PUT, path: "/v2/\(name)/manifests/\(tagOrDigest)", scopes: [pushScope],
            what: "pushing the manifest \(reference.repository):\(tagOrDigest)")
        put.headers.add(name: "Content-Type", value: manifest.mediaType)
        let bytes = manifest.bytes
        put.body = { .bytes(ByteBuffer(bytes: bytes)) }
        let answer = try await client.send(put, on: endpoint, domain: reference.domain)
        let body = try await client.collect(answer.body, limit: 64 << 10, what: put.what)
        guard answer.status == .created else {
            throw RegistryErrorBody.error(
                status: answer.status, body: body, code: .registryProtocol, notFoundCode: .blobUnknown,
                message: "\(put.what) was refused")
        }
        let digest = manifest.digest
        if let said = answer.headers.first(name: "Docker-Content-Digest"), said != digest.description {
            throw BerthError(
                .digestMismatch, "\(put.what): the registry stored it as \(said), not \(digest)")
        }
        return digest
    }
}

/// A file read in pieces as an upload's body: the bytes of a layer go to
/// the registry without ever being held whole in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize: Int

    init(path: String, chunkSize: Int = 1 << 20) {
        self.path = path
        self.chunkSize = chunkSize
    }

    func makeAsyncIterator() -> Iterator { Iterator(path: path, chunkSize: chunkSize) }

    /// Opens the file on the first `next()`, closes it at the end.
    final class Iterator: AsyncIteratorProtocol {
        let path: String
        let chunkSize: Int
        private var fd: Int32 = -1
        private var done = false

        init(path: String, chunkSize: Int) {
            self.path = path
            self.chunkSize = chunkSize
        }

        deinit {
            if fd >= 0 { close(fd) }
        }

        func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    done = true
                    throw BerthError(.io, "cannot open \(path) to upload it", cause: String(cString: strerror(errno)))
                }
            }
            var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { raw in
                var got: Int
                repeat { got = read(fd, raw.baseAddress, chunkSize) } while got < 0 && errno == EINTR
                return Swift.max(got, 0)
            }
            if count == 0 {
                done = true
                close(fd)
                fd = -1
                return nil
            }
            return buffer
        }
    }
}
