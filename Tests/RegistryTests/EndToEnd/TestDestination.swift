import BerthModel
import Foundation
import Glibc
import HostOS
import Registry
import Synchronization

/// A store for the pulls of a test: a staging directory, a store directory,
/// and a record of what was committed and of each layer's tar stream as it
/// came out of the decompressor.
final class TestDestination: PullDestination {
    let staging: String
    let store: String
    private let state = Mutex(State())

    struct State {
        var present: Set<Digest> = []
        var committed: [Digest] = []
        /// Layer digest → sha256 of the tar stream the unpacker received.
        var unpacked: [Digest: Digest] = [:]
        var discarded: [Digest] = []
    }

    init(in directory: String) throws {
        staging = directory + "/staging"
        store = directory + "/store"
        try Files.makeDirectories(staging)
        try Files.makeDirectories(store)
    }

    var snapshot: State { state.withLock { $0 } }

    func has(_ digest: Digest) -> Bool { state.withLock { $0.present.contains(digest) } }

    func stagingPath(for blob: Descriptor) throws(BerthError) -> String {
        "\(staging)/\(blob.digest.hex).\(UInt32.random(in: 0...UInt32.max))"
    }

    func unpacker(for layer: Descriptor) throws(BerthError) -> (any LayerUnpacker)? {
        TarCollector(layer: layer.digest, destination: self)
    }

    func commit(_ blob: Descriptor, verifiedFile path: String, unpacker: (any LayerUnpacker)?) throws(BerthError) {
        guard rename(path, "\(store)/\(blob.digest.hex)") == 0 else {
            throw BerthError(.io, "rename \(path)", cause: String(cString: strerror(errno)))
        }
        let tar = (unpacker as? TarCollector)?.digest
        state.withLock {
            $0.present.insert(blob.digest)
            $0.committed.append(blob.digest)
            if let tar { $0.unpacked[blob.digest] = tar }
        }
    }

    func discarded(_ digest: Digest) { state.withLock { $0.discarded.append(digest) } }

    /// The files left in the staging directory.
    var staged: [String] { (try? Files.names(in: staging)) ?? [] }
}

/// Collects a layer's tar stream and hashes it when it ends.
final class TarCollector: LayerUnpacker {
    let layer: Digest
    let destination: TestDestination
    private var bytes: [UInt8] = []
    private(set) var digest: Digest?

    init(layer: Digest, destination: TestDestination) {
        self.layer = layer
        self.destination = destination
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(BerthError) { self.bytes += bytes }
    func finish() throws(BerthError) { digest = Digest(of: bytes) }
    func discard() { destination.discarded(layer) }
}
