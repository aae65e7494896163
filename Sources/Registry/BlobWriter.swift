import BerthModel
import Crypto
import Glibc
import NIOCore

/// Where one blob's bytes go as they arrive: the staging file, the sha256,
/// and for a layer its inflater and unpacker. Kept across a resumed
/// download, so the hash and the tar stream simply continue.
final class BlobWriter {
    let blob: Descriptor
    let path: String
    /// `layer sha256:… of app:1.0`, for errors.
    let what: String
    private let fd: Int32
    private var hasher = SHA256()
    private(set) var received: Int64 = 0
    private let inflater: (any Inflater)?
    let unpacker: (any LayerUnpacker)?
    private var closed = false
    /// Why the tar stream stopped, if it did; reported by `finish`.
    private var unpackError: BerthError?

    /// Creates the staging file; `unpacker` (with the inflater for the
    /// layer's media type) receives the tar stream.
    init(blob: Descriptor, path: String, what: String, unpacker: (any LayerUnpacker)?) throws(BerthError) {
        var inflater: (any Inflater)?
        if let unpacker {
            guard let compression = MediaType.compression(ofLayer: blob.mediaType) else {
                unpacker.discard()
                throw BerthError(
                    .unsupported, "\(what) is of media type \"\(blob.mediaType)\", which Berth cannot unpack")
            }
            inflater = try makeInflater(compression, what: what)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let failure = errno
            unpacker?.discard()
            throw BerthError(.io, "cannot create \(path) for \(what)", cause: String(cString: strerror(failure)))
        }
        self.blob = blob
        self.path = path
        self.what = what
        self.fd = fd
        self.inflater = inflater
        self.unpacker = unpacker
    }

    deinit {
        if !closed { close(fd) }
    }

    /// Takes the next bytes: file, hash, and tar stream. More bytes than
    /// the descriptor's size is a failure at once (a registry cannot make us
    /// write without end).
    func write(_ chunk: ByteBuffer) throws(BerthError) {
        guard received + Int64(chunk.readableBytes) <= blob.size else {
            throw BerthError(.digestMismatch, "\(what) is larger than the \(blob.size) bytes its descriptor says")
        }
        try chunk.withUnsafeReadableBytes { (bytes: UnsafeRawBufferPointer) throws(BerthError) in
            guard let base = bytes.baseAddress else { return }
            hasher.update(bufferPointer: bytes)
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(fd, base + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw BerthError(.io, "cannot write \(path) (\(what))", cause: String(cString: strerror(errno)))
                }
                offset += count
            }
            guard let unpacker, unpackError == nil else { return }
            do throws(BerthError) {
                if let inflater {
                    try inflater.feed(bytes) { (piece: UnsafeRawBufferPointer) throws(BerthError) in
                        try unpacker.write(piece)
                    }
                } else {
                    try unpacker.write(bytes)
                }
            } catch {
                // Bytes that do not inflate are most often bytes that were
                // damaged on the way: keep hashing, so that `finish` can say
                // which it was (a digest mismatch, or a bad archive).
                unpackError = error
            }
        }
        received += Int64(chunk.readableBytes)
    }

    /// The whole blob is in: checks its size and digest, closes the file and
    /// ends the tar stream. On a mismatch the caller `abandon`s.
    func finish() throws(BerthError) {
        guard received == blob.size else {
            throw BerthError(.digestMismatch, "\(what) ended after \(received) of its \(blob.size) bytes")
        }
        let actual = Digest(hasher.finalize())
        guard actual == blob.digest else {
            throw BerthError(
                .digestMismatch,
                "\(what) hashes to \(actual), not the \(blob.digest) it is named by; nothing was stored")
        }
        if let unpackError { throw unpackError }
        closed = true
        guard close(fd) == 0 else {
            throw BerthError(.io, "cannot write \(path) (\(what))", cause: String(cString: strerror(errno)))
        }
        try inflater?.finish()
        try unpacker?.finish()
    }

    /// The blob failed: the staged file goes, the unpacker discards.
    func abandon() {
        if !closed {
            closed = true
            close(fd)
        }
        unlink(path)
        unpacker?.discard()
    }
}
