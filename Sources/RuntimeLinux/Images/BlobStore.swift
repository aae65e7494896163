import BerthModel
import Glibc
import HostOS
import Registry

/// Content-addressed blobs, `<root>/images/blobs/sha256/<hex>`, as the OCI
/// image layout keeps them.
///
/// Every write hashes the content as it lands in a temporary file and renames
/// it into place only when the digest is the one expected; every read of a
/// small blob (manifest, config) hashes it again, so a file changed on disk
/// is caught rather than trusted. Layer blobs are verified again when their
/// diff ID is computed for unpacking.
struct BlobStore: Sendable {
    /// `<root>/images/blobs/sha256`.
    let directory: String
    /// A directory on the same file system, for writes in progress.
    let temporary: String

    /// Where the blob with this digest lives.
    func path(_ digest: Digest) -> String { directory + "/" + digest.hex }

    /// Whether the blob is stored.
    func contains(_ digest: Digest) -> Bool { Files.kind(path(digest)) == .regular }

    /// Every stored blob.
    func all() throws(BerthError) -> [Digest] {
        try FileOps.list(directory).compactMap { Digest(hex: $0) }
    }

    /// Copies the file at `source` in. When `expected` is given the content
    /// must hash to it. Returns the digest, the size, and whether the blob is new.
    func ingest(file source: String, expected: Digest?, what: String) throws(BerthError) -> (Digest, Int64, Bool) {
        if let expected, contains(expected) {
            // Already stored: still prove the source is what it claims, so a
            // corrupt archive is refused whatever the store happens to hold.
            let (actual, size) = try FileOps.hash(source, what: what)
            try Self.check(actual, expected, what: what)
            return (actual, size, false)
        }
        let temp = try FileOps.temporaryFile(in: temporary, prefix: "blob-")
        do throws(BerthError) {
            let (actual, size) = try FileOps.hash(source, copyTo: temp, what: what)
            if let expected { try Self.check(actual, expected, what: what) }
            if contains(actual) {
                unlink(temp)
                return (actual, size, false)
            }
            try FileOps.rename(temp, path(actual))
            return (actual, size, true)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Stores `bytes`; like `ingest`, for content made in memory.
    func write(_ bytes: [UInt8], expected: Digest?, what: String) throws(BerthError) -> (Digest, Int64, Bool) {
        let actual = Digest(of: bytes)
        if let expected { try Self.check(actual, expected, what: what) }
        if contains(actual) { return (actual, Int64(bytes.count), false) }
        try FileOps.writeAtomically(bytes, to: path(actual), temporaryDirectory: temporary)
        return (actual, Int64(bytes.count), true)
    }

    /// A small blob's bytes, verified against its digest.
    func read(_ digest: Digest, what: String) throws(BerthError) -> [UInt8] {
        guard contains(digest) else {
            throw BerthError(.notFound, "\(what) \(digest) is not in the store at \(directory)")
        }
        let bytes = try FileOps.read(path(digest), what: "\(what) \(digest)")
        let actual = Digest(of: bytes)
        guard actual == digest else {
            throw BerthError(
                .digestMismatch, "\(what) \(digest) in the store is corrupt: its content hashes to \(actual)",
                cause: "remove the image and import it again")
        }
        return bytes
    }

    /// Deletes a blob; a missing one is fine.
    func remove(_ digest: Digest) throws(BerthError) {
        guard unlink(path(digest)) == 0 || errno == ENOENT else {
            throw BerthError(.io, "removing blob \(digest)", cause: FileOps.errnoText())
        }
    }

    /// Throws unless `actual` is `expected`, naming both.
    static func check(_ actual: Digest, _ expected: Digest, what: String) throws(BerthError) {
        guard actual == expected else {
            throw BerthError(.digestMismatch, "\(what) has digest \(actual), not the \(expected) it is named by")
        }
    }
}
