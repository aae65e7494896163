import BerthModel
import Glibc
import HostOS
import Registry

/// Unpacked layers, one directory per diff ID: `<root>/layers/<hex>/`.
///
/// A layer is keyed by the sha256 of its *uncompressed* tar (its diff ID),
/// not by its blob digest: the same content compressed two ways is one
/// layer on disk, and two images on one base share its directory, which an
/// overlay mount takes as a lower directory read-only.
///
/// A layer is unpacked into `.tmp-*` beside its final place and renamed
/// there only when whole, so a crash never leaves a half layer under its
/// final name; the next `ImageStore` sweeps the `.tmp-*` leftovers.
struct LayerStore: Sendable {
    /// `<root>/layers`.
    let directory: String

    static let temporaryPrefix = ".tmp-"

    /// The directory of the layer with this diff ID.
    func path(_ diffID: Digest) -> String { directory + "/" + diffID.hex }

    /// Whether the layer is unpacked.
    func contains(_ diffID: Digest) -> Bool { Files.kind(path(diffID)) == .directory }

    /// Every unpacked layer.
    func all() throws(BerthError) -> [Digest] {
        try FileOps.list(directory).compactMap { Digest(hex: $0) }
    }

    /// Unpacks `tar` (uncompressed, whose sha256 is `diffID`) unless that
    /// layer is already there. Returns whether it made the directory.
    func unpack(_ tar: String, diffID: Digest, what: String) throws(BerthError) -> Bool {
        if contains(diffID) { return false }
        let temp = try FileOps.makeTemporaryDirectory(in: directory, prefix: Self.temporaryPrefix + diffID.short + "-")
        do throws(BerthError) {
            // mkdtemp makes 0700; a layer without a `./` entry would keep it and
            // hide the container's whole root from its non-root users.
            chmod(temp, 0o755)
            try Tar.extractLayer(tar, into: temp, what: what)
            try Whiteouts.convert(under: temp, what: what)
            try FileOps.rename(temp, path(diffID))
        } catch {
            FileOps.removeTree(temp)
            throw error
        }
        Files.syncDirectory(directory)
        return true
    }

    /// Deletes a layer: first renamed out of its final name, so that a crash
    /// part-way leaves a `.tmp-*` to sweep, not a layer with files missing.
    func remove(_ diffID: Digest) throws(BerthError) {
        guard contains(diffID) else { return }
        let doomed = directory + "/" + Self.temporaryPrefix + "rm-" + diffID.hex
        try FileOps.rename(path(diffID), doomed)
        guard FileOps.removeTree(doomed) else {
            throw BerthError(.io, "removing layer \(diffID): cannot delete \(doomed)", cause: FileOps.errnoText())
        }
    }

    /// Deletes what a crash left: half-unpacked and half-removed layers.
    func sweep() {
        for name in (try? FileOps.list(directory)) ?? [] where name.hasPrefix(Self.temporaryPrefix) {
            FileOps.removeTree(directory + "/" + name)
        }
    }
}

/// Turns a layer's AUFS-style whiteouts, as image tars carry them, into the
/// form overlayfs reads from a lower directory:
///
/// - `dir/.wh.name` (delete `name` from the layers below) becomes `dir/name`,
///   a character device 0/0, which overlayfs shows as "no such file";
/// - `dir/.wh..wh..opq` (hide everything below in `dir`) becomes the xattr
///   `trusted.overlay.opaque=y` on `dir`;
/// - other `.wh..wh.*` entries (AUFS bookkeeping such as `.wh..wh.plnk`) are dropped.
///
/// The walk uses `lstat` and never descends a symlink: the tree came from an
/// archive, and a symlinked directory could point anywhere on the host.
enum Whiteouts {
    static let prefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"
    static let opaqueXattr = "trusted.overlay.opaque"

    /// Converts every whiteout under `root`; `what` names the layer in errors.
    static func convert(under root: String, what: String) throws(BerthError) {
        try convert(directory: root, relative: "", what: what)
    }

    private static func convert(directory: String, relative: String, what: String) throws(BerthError) {
        for name in try FileOps.list(directory) {
            let path = directory + "/" + name
            let shown = relative.isEmpty ? name : relative + "/" + name
            if name == opaqueMarker {
                try remove(path, shown, what)
                try Xattr.set(
                    directory, opaqueXattr, [UInt8(ascii: "y")],
                    what: "unpacking \(what): cannot mark /\(relative) opaque")
            } else if name.hasPrefix(prefix + prefix) {
                try remove(path, shown, what)
            } else if name.hasPrefix(prefix) {
                let target = String(name.dropFirst(prefix.count))
                guard !target.isEmpty, target != ".", target != "..", !target.contains("/") else {
                    throw BerthError(.invalidArchive, "unpacking \(what): the whiteout /\(shown) names no file")
                }
                try remove(path, shown, what)
                let targetPath = directory + "/" + target
                // A layer that both adds and deletes a name: the deletion is what
                // `docker` applies last, so it wins.
                if Files.kind(targetPath) != .missing, !FileOps.removeTree(targetPath) {
                    throw BerthError(
                        .io, "unpacking \(what): cannot replace /\(shown) with a whiteout", cause: FileOps.errnoText())
                }
                guard mknod(targetPath, S_IFCHR | 0o000, 0) == 0 else {
                    throw BerthError(
                        .io,
                        "unpacking \(what): cannot make the whiteout device for /\(relative.isEmpty ? target : relative + "/" + target)",
                        cause: FileOps.errnoText())
                }
                if lchown(targetPath, 0, 0) != 0 {
                    throw BerthError(
                        .io, "unpacking \(what): cannot give the whiteout for /\(shown) to 0:0",
                        cause: FileOps.errnoText())
                }
            } else if Files.kind(path) == .directory {
                try convert(directory: path, relative: shown, what: what)
            }
        }
    }

    private static func remove(_ path: String, _ shown: String, _ what: String) throws(BerthError) {
        guard FileOps.removeTree(path) else {
            throw BerthError(.io, "unpacking \(what): cannot remove the marker /\(shown)", cause: FileOps.errnoText())
        }
    }
}

/// Extended attributes on a path itself (never a symlink's target).
///
/// Why `dlsym`: Glibc's Swift module map leaves out `<sys/xattr.h>`, and
/// `RuntimeLinux` may not yet import `CLinux`, where a declaration
/// belongs. Looking the libc functions up by name and calling them through
/// a `@convention(c)` type keeps the C calling convention exact. When
/// `CLinux` declares `berth_lsetxattr`, this file shrinks to two calls.
enum Xattr {
    private typealias SetFunction =
        @convention(c) (
            UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32
        ) -> Int32
    private typealias GetFunction =
        @convention(c) (
            UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int
        ) -> Int

    /// The libc function `name`, or nil when the C library lacks it.
    private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
        guard let handle = dlopen(nil, RTLD_LAZY) else { return nil }
        defer { dlclose(handle) }
        guard let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }

    /// `lsetxattr(path, name, value)`; throws with `errno`'s text on failure.
    static func set(_ path: String, _ name: String, _ value: [UInt8], what: String) throws(BerthError) {
        guard let function = symbol("lsetxattr", as: SetFunction.self) else {
            throw BerthError(.unsupported, "\(what): the C library has no lsetxattr")
        }
        let status = value.withUnsafeBytes { function(path, name, $0.baseAddress, $0.count, 0) }
        guard status == 0 else { throw BerthError(.io, what, cause: "\(name): \(FileOps.errnoText())") }
    }

    /// `lgetxattr(path, name)`, or nil when the attribute is not set (or cannot be read).
    static func get(_ path: String, _ name: String) -> [UInt8]? {
        guard let function = symbol("lgetxattr", as: GetFunction.self) else { return nil }
        let size = function(path, name, nil, 0)
        guard size >= 0 else { return nil }
        var value = [UInt8](repeating: 0, count: size)
        let read = value.withUnsafeMutableBytes { function(path, name, $0.baseAddress, $0.count) }
        guard read >= 0 else { return nil }
        return Array(value.prefix(read))
    }
}
