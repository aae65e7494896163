import BerthModel

/// What a pull fetched: the image as resolved, and the blobs it had to fetch.
public struct PulledImage: Sendable {
    /// The manifests and the platform chosen.
    public let image: ResolvedImage
    /// The blobs fetched now (the others were in the store, or fetched by a concurrent pull).
    public let fetched: [Digest]
}

/// Pulls images into a `PullDestination`: resolves the reference, skips the
/// blobs the destination has, and fetches the rest, at most
/// `maximumConcurrent` at once across every pull through this puller. A
/// blob that two pulls want at the same time (a base layer shared by two
/// services) is fetched once: the second waits for the first.
public actor ImagePuller {
    /// The client requests go through.
    public nonisolated let client: RegistryClient
    private let slots: AsyncSemaphore
    private var inFlight: [Digest: Task<Bool, any Error>] = [:]

    /// A puller; `maximumConcurrent` defaults to the settings' `max-concurrent-downloads` (4).
    public init(client: RegistryClient, maximumConcurrent: Int? = nil) {
        self.client = client
        self.slots = AsyncSemaphore(
            permits: maximumConcurrent ?? client.configuration.settings.maxConcurrentDownloads)
    }

    /// Pulls `reference` for `platform` into `destination`: config and
    /// layers it lacks, each verified before it is committed.
    public func pull(
        _ reference: ImageReference, platform: Platform = .host, into destination: some PullDestination,
        progress: @escaping @Sendable (PullEvent) -> Void = { _ in }
    ) async throws(BerthError) -> PulledImage {
        let image = try await client.resolve(reference, platform: platform)
        return try await fetch(image, into: destination, progress: progress)
    }

    /// Fetches the blobs of a resolved `image` that `destination` lacks.
    public func fetch(
        _ image: ResolvedImage, into destination: some PullDestination,
        progress: @escaping @Sendable (PullEvent) -> Void = { _ in }
    ) async throws(BerthError) -> PulledImage {
        var seen = Set<Digest>()
        let blobs = ([image.config] + image.layers).filter { seen.insert($0.digest).inserted }
        let missing = blobs.filter { !destination.has($0.digest) }
        progress(
            .resolved(
                image: image.reference, manifest: image.manifest.digest, blobs: blobs, missing: missing.map(\.digest)))
        for blob in blobs where !missing.contains(blob) { progress(.present(blob.digest)) }
        do {
            let fetched = try await withThrowingTaskGroup(of: Digest?.self) { group in
                for blob in missing {
                    let task = task(for: blob, of: image, into: destination, progress: progress)
                    group.addTask { try await task.value ? blob.digest : nil }
                }
                var fetched: [Digest] = []
                for try await digest in group { if let digest { fetched.append(digest) } }
                return fetched
            }
            return PulledImage(image: image, fetched: fetched)
        } catch let error as BerthError {
            throw error
        } catch {
            throw BerthError(.cancelled, "pulling \(image.reference.familiar) was cancelled", cause: "\(error)")
        }
    }

    /// The download of `blob`: the one in flight, or a new one. Its value
    /// is true for the pull that fetched it, false when another had.
    private func task(
        for blob: Descriptor, of image: ResolvedImage, into destination: some PullDestination,
        progress: @escaping @Sendable (PullEvent) -> Void
    ) -> Task<Bool, any Error> {
        if let running = inFlight[blob.digest] {
            progress(.waiting(blob.digest))
            return Task {
                _ = try await running.value
                progress(.done(blob.digest))
                return false
            }
        }
        let client = client
        let slots = slots
        let task = Task {
            defer { self.finished(blob.digest) }
            progress(.waiting(blob.digest))
            let fetched = try await slots.withPermit {
                try Task.checkCancellation()
                // Another puller on the same store may have brought it in meanwhile.
                guard !destination.has(blob.digest) else { return false }
                try await client.download(blob, of: image, into: destination, progress: progress)
                return true
            }
            progress(.done(blob.digest))
            return fetched
        }
        inFlight[blob.digest] = task
        return task
    }

    private func finished(_ digest: Digest) {
        inFlight[digest] = nil
    }
}

extension RegistryClient {
    /// One blob, start to commit: staged, streamed (and unpacked), verified,
    /// committed; on any failure the staged file and the unpacked layer go.
    func download(
        _ blob: Descriptor, of image: ResolvedImage, into destination: some PullDestination,
        progress: @escaping @Sendable (PullEvent) -> Void
    ) async throws(BerthError) {
        let isLayer = blob.digest != image.config.digest
        let what = "\(isLayer ? "layer" : "config") \(blob.digest) of \(image.reference.familiar)"
        let path = try destination.stagingPath(for: blob)
        let writer = try BlobWriter(
            blob: blob, path: path, what: what, unpacker: isLayer ? try destination.unpacker(for: blob) : nil)
        do {
            try await fetchBlob(
                into: writer, of: image,
                progress: { progress(.progress(blob.digest, received: $0, total: blob.size)) },
                resumed: { progress(.resumed(blob.digest, at: $0)) })
            try writer.finish()
            try destination.commit(blob, verifiedFile: path, unpacker: writer.unpacker)
        } catch {
            writer.abandon()
            throw error
        }
    }
}

/// The store's side of a pull (in berthd, the image store): what it has,
/// where a blob's bytes go while they arrive, who unpacks a layer as it
/// downloads, and taking a verified blob in.
///
/// The client writes each blob to `stagingPath(for:)`, hashing every byte;
/// a layer's uncompressed tar stream goes to its `LayerUnpacker` at the
/// same time. Only when the size and sha256 match the descriptor is
/// `commit` called; otherwise the staged file is removed, the unpacker told
/// to `discard`, and the pull fails naming the blob. So nothing unchecked
/// ever enters the store.
public protocol PullDestination: Sendable {
    /// Whether the store has the blob `digest` (a layer's compressed digest,
    /// or the config's); such blobs are never fetched.
    func has(_ digest: Digest) -> Bool
    /// A path (on the store's filesystem, so `commit` can rename it) where
    /// nothing is yet; the client creates the file and removes it on failure.
    func stagingPath(for blob: Descriptor) throws(BerthError) -> String
    /// For a layer: who receives its uncompressed tar stream while it
    /// downloads (extraction while downloading), or nil to only store the blob.
    func unpacker(for layer: Descriptor) throws(BerthError) -> (any LayerUnpacker)?
    /// The blob at `path` has `blob`'s size and digest: take it into the
    /// store (and the unpacked layer, if there is one). Called once per blob.
    func commit(_ blob: Descriptor, verifiedFile path: String, unpacker: (any LayerUnpacker)?) throws(BerthError)
}

/// Receives a layer's uncompressed tar stream, in order, piece by piece,
/// while the layer downloads. One per layer; called from one task at a time.
public protocol LayerUnpacker: AnyObject {
    /// The next bytes of the tar stream.
    func write(_ bytes: UnsafeRawBufferPointer) throws(BerthError)
    /// The stream is complete (its digest not yet checked).
    func finish() throws(BerthError)
    /// The layer failed (a digest mismatch, a break that could not be
    /// resumed): remove whatever was unpacked.
    func discard()
}

/// What a pull reports, for progress per layer as docker shows it.
public enum PullEvent: Sendable, Hashable {
    /// The manifest is known: the blobs the image has, and which are to be fetched.
    case resolved(image: ImageReference, manifest: Digest, blobs: [Descriptor], missing: [Digest])
    /// The blob is in the store already.
    case present(Digest)
    /// Waiting for a download slot (or for another pull fetching the same blob).
    case waiting(Digest)
    /// `received` of `total` bytes are in.
    case progress(Digest, received: Int64, total: Int64)
    /// The download broke off after `at` bytes and resumes from there.
    case resumed(Digest, at: Int64)
    /// Verified and committed.
    case done(Digest)
}

/// A counting semaphore for tasks: at most `permits` holders at once, the
/// others waiting in order. Bounds how many blobs download together.
actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { available = max(1, permits) }

    /// Waits for a permit.
    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Gives a permit back, to the first waiter if there is one.
    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` holding a permit.
    func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
