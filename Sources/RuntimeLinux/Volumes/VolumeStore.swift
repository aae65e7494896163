import BerthModel
import Foundation
import Glibc
import HostOS

/// Named volumes as directories under berthd's root:
///
/// ```
/// <root>/volumes/<name>/_data         what containers mount
/// <root>/volumes/<name>/volume.json   labels and creation time
/// ```
///
/// The directory is the volume: it exists exactly when `_data` does. One
/// berthd owns a root; `create` is safe to call concurrently for one name
/// (the second finds the first's volume).
public struct VolumeStore: Sendable {
    /// `<root>/volumes`.
    public let directory: String
    private let runner: any CommandRunner

    /// Opens the store under `root`, creating `<root>/volumes` (mode 0700:
    /// volume contents keep their owners and modes, and a world-readable
    /// path would expose them to every host user).
    public init(root: String, runner: any CommandRunner = ProcessRunner()) throws(BerthError) {
        directory = root + "/volumes"
        self.runner = runner
        do {
            try Files.makeDirectories(directory, mode: 0o700)
        } catch {
            throw BerthError(.io, "cannot create the volume directory \(directory)", wrapping: error)
        }
    }

    /// `<root>/volumes/<name>`.
    func path(_ name: VolumeName) -> String { directory + "/" + name.rawValue }

    /// Creates the volume unless it exists; returns it either way (compose
    /// creates volumes on first use, and `up` twice must change nothing).
    /// The labels of an existing volume are kept.
    @discardableResult
    public func create(_ name: VolumeName, labels: [String: String] = [:]) throws(BerthError) -> LocalVolume {
        let base = path(name)
        let data = base + "/_data"
        if Files.kind(data) == .directory { return try inspect(name) }
        for (directory, mode) in [(base, mode_t(0o701)), (data, mode_t(0o755))] {
            if mkdir(directory, mode) != 0 && errno != EEXIST {
                throw BerthError(
                    .io, "cannot create volume \"\(name)\": mkdir \(directory)",
                    cause: HostOSError.describe(errno: errno))
            }
        }
        let metadata = VolumeMetadata(labels: labels, createdAt: Self.now())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try AtomicFile.write(Array(try encoder.encode(metadata)), to: base + "/volume.json", mode: 0o600)
        } catch {
            throw BerthError(.io, "cannot record volume \"\(name)\"", cause: BerthError.describe(error))
        }
        return LocalVolume(name: name, mountpoint: data, labels: labels, createdAt: metadata.createdAt)
    }

    /// The volume called `name`, or a not-found error.
    public func inspect(_ name: VolumeName) throws(BerthError) -> LocalVolume {
        let base = path(name)
        guard Files.kind(base + "/_data") == .directory else {
            throw BerthError(.notFound, "volume \"\(name)\" not found")
        }
        // A volume whose metadata is missing or unreadable (a crash right
        // after mkdir) is still a volume: its data matters, its labels less.
        let bytes = (try? AtomicFile.read(base + "/volume.json")) ?? nil
        let metadata = bytes.flatMap { try? JSONDecoder().decode(VolumeMetadata.self, from: Data($0)) }
        return LocalVolume(
            name: name, mountpoint: base + "/_data", labels: metadata?.labels ?? [:],
            createdAt: metadata?.createdAt ?? "")
    }

    /// Every volume, by name. Entries that are not volumes (a half-removed
    /// one, a stray file) are skipped.
    public func list() throws(BerthError) -> [LocalVolume] {
        var volumes: [LocalVolume] = []
        for entry in try HostPath.list(directory) {
            guard let name = VolumeName(entry), let volume = try? inspect(name) else { continue }
            volumes.append(volume)
        }
        return volumes
    }

    /// Removes the volume and everything in it, unless `inUse` names a
    /// container that uses it (docker refuses too: the container would
    /// keep writing into a deleted directory).
    ///
    /// The directory is first renamed out of the way, so the name is free
    /// (and the volume gone from `list`) at once and a crash halfway through
    /// the delete never leaves half a volume under its name.
    public func remove(_ name: VolumeName, inUse: (VolumeName) -> String?) async throws(BerthError) {
        guard Files.kind(path(name) + "/_data") == .directory else {
            throw BerthError(.notFound, "volume \"\(name)\" not found")
        }
        if let container = inUse(name) {
            throw BerthError(.inUse, "volume \"\(name)\" is in use by container \"\(container)\"")
        }
        let doomed = directory + "/.removing-\(name.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        guard rename(path(name), doomed) == 0 else {
            throw BerthError(.io, "cannot remove volume \"\(name)\"", cause: HostOSError.describe(errno: errno))
        }
        // --one-file-system: should anything still be mounted inside, rm
        // leaves it (and what it shows) alone.
        try await run(["rm", "-rf", "--one-file-system", "--", doomed], "remove volume \"\(name)\"")
    }

    /// Copies the image's content at the mount point into the volume when
    /// the volume is empty, as docker does on a volume's first use: `cp -a`
    /// keeps owners, modes, timestamps, xattrs and symlinks (not followed),
    /// and gives the volume's root the mode and owner of the image's
    /// directory. Returns whether it copied.
    ///
    /// Nothing is copied with `nocopy` (compose's `volume: {nocopy: true}`),
    /// when the volume holds anything, or when the image has nothing at
    /// `path`. `path` is resolved inside `rootfs`, symlinks included, so an
    /// image cannot point the copy at the host's files.
    @discardableResult
    public func seedIfEmpty(
        _ name: VolumeName, rootfs: String, path containerPath: String, nocopy: Bool = false
    ) async throws(BerthError) -> Bool {
        let volume = try inspect(name)
        guard !nocopy, let source = try HostPath.resolve(containerPath, in: rootfs),
            Files.kind(source) == .directory, try HostPath.isEmptyDirectory(volume.mountpoint)
        else { return false }
        // `source/.` copies the directory's content and, since the target
        // exists, its attributes onto the target.
        try await run(
            ["cp", "-a", "--", source + "/.", volume.mountpoint],
            "seed volume \"\(name)\" from \(containerPath) of the image")
        return true
    }

    private func run(_ arguments: [String], _ what: String) async throws(BerthError) {
        do {
            try await runner.run(HostOS.Command(arguments, timeout: .seconds(600))).check()
        } catch {
            throw BerthError(.command, "cannot \(what)", wrapping: error)
        }
    }

    private static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}

/// `volume.json`.
private struct VolumeMetadata: Codable {
    var labels: [String: String]
    var createdAt: String
}
