import BerthModel

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
