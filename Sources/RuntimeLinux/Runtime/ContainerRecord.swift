import BerthModel
import Foundation
import Glibc
import HostOS
import RuntimeKit

/// What `LinuxRuntime` knows about one container beyond the driver's
/// bundle: the spec it was made from and everything made for it on the
/// host, so that a restarted berthd can show it, re-publish its ports and
/// take it apart again. One JSON file per container,
/// `<root>/runtime/containers/<id>.json`, replaced atomically on each change.
struct ContainerRecord: Codable, Sendable, Hashable {
    /// Where the container is in its making and unmaking. A record found in
    /// `creating` or `removing` after a crash is finished off by `restore`:
    /// a container is either whole or gone.
    enum Phase: String, Codable, Sendable {
        case creating, ready, removing
    }

    /// One network the container is on.
    struct Attachment: Codable, Sendable, Hashable {
        /// The network's name.
        var network: String
        /// `eth0`, `eth1`, …
        var interface: String
        /// Its address there, without the prefix length.
        var address: String
        /// The names it answers to there besides its own.
        var aliases: [String]
    }

    var phase: Phase
    var spec: ContainerSpec
    /// The image's manifest digest at create time: the container keeps
    /// running on it even when the name moves to another image.
    var imageDigest: String
    /// The network namespace file; nil for the host's namespace.
    var netnsPath: String?
    /// Whether the namespace is the container's own (deleted with it), not
    /// another container's (`network_mode: container:x`).
    var ownsNetns: Bool
    var attachments: [Attachment] = []
    /// As bound, ephemeral host ports filled in.
    var ports: [PortSpec] = []
    /// Named volumes it mounts (created on first use by this container or not).
    var volumes: [String] = []
    /// Named volumes this create made: undone with a failed create.
    var createdVolumes: [String] = []
    /// Volumes that go with the container (anonymous ones, and the image's `VOLUME`s).
    var anonymousVolumes: [String] = []
    /// The same volumes by mount target, for a recreate to inherit (nil in
    /// records written before there were recreates that do).
    var anonymousMounts: [String: String]?
    /// Set on a removal that leaves the anonymous volumes for the container
    /// recreated in its place, so that a restore finishing it keeps them too.
    var keepsAnonymousVolumes: Bool?
    var createdAt: Double
    /// When it last started; nil: never (then the shim's live process is
    /// waiting for its first `start`).
    var startedAt: Double?
    /// Frozen by `pause`; nil or false: not.
    var paused: Bool?
    /// The init's argv (entrypoint and command), for `ps`.
    var command: [String]?

    /// The container's id and name.
    var id: String { spec.name }
}

/// The records, as files. Reads and writes are small and synchronous.
struct ContainerRecordStore: Sendable {
    /// `<root>/runtime/containers`.
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        do {
            try Files.makeDirectories(directory, mode: 0o700)
        } catch {
            throw BerthError(.state, "cannot create the container metadata directory \(directory)", wrapping: error)
        }
    }

    func path(_ id: String) -> String { directory + "/" + id + ".json" }

    /// Every record; an unreadable one is reported, not dropped silently.
    func loadAll() -> (records: [ContainerRecord], problems: [BerthError]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var records: [ContainerRecord] = []
        var problems: [BerthError] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let file = directory + "/" + name
            do {
                guard let bytes = try AtomicFile.read(file) else { continue }
                records.append(try JSONDecoder().decode(ContainerRecord.self, from: Data(bytes)))
            } catch {
                problems.append(
                    BerthError(.state, "unreadable container metadata \(file)", cause: BerthError.describe(error)))
            }
        }
        return (records, problems)
    }

    func save(_ record: ContainerRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            try AtomicFile.write(Array(try encoder.encode(record)), to: path(record.id), mode: 0o600)
        } catch {
            throw BerthError(
                .state, "cannot record container \(record.id) in \(path(record.id))", cause: BerthError.describe(error))
        }
    }

    func delete(_ id: String) throws {
        guard unlink(path(id)) != 0 else { return }
        let failure = errno
        if failure != ENOENT {
            throw BerthError(
                .state, "cannot remove the metadata of container \(id)", cause: HostOSError.describe(errno: failure))
        }
    }
}
