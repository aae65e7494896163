import BerthModel
import Foundation
import HostOS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A container's root filesystem: an overlay of the image's read-only layers
/// with the container's own writable layer (`upper`) on top. Layers are
/// shared by every container of the image; `upper` and `work` live in the
/// container's directory and go away with it.
public enum OverlayRootfs {
    /// The mount data for `layers` (lowest first) under `upper`/`work`.
    ///
    /// overlayfs wants `lowerdir` highest first, the reverse of the order
    /// images list their layers in, so the list is reversed here. The kernel
    /// takes one page of mount data (4095 bytes): a deep image with long
    /// paths can exceed it, and that is reported rather than truncated.
    public static func options(layers: [String], upper: String, work: String) throws -> String {
        for path in layers + [upper, work] {
            // ':' separates lowerdir entries and ',' separates options; the
            // kernel's escaping of them differs between versions, so refuse.
            guard path.hasPrefix("/"), !path.contains(","), !path.contains(":") else {
                throw BerthError(
                    .invalidSpec, "overlay: layer path \"\(path)\" must be absolute and contain no ',' or ':'")
            }
        }
        guard !layers.isEmpty else {
            throw BerthError(.invalidSpec, "overlay: at least one lower layer is needed")
        }
        let data = "lowerdir=" + layers.reversed().joined(separator: ":") + ",upperdir=" + upper + ",workdir=" + work
        guard data.utf8.count < 4096 else {
            throw BerthError(
                .invalidSpec,
                "overlay: \(layers.count) layers make \(data.utf8.count) bytes of mount options; the kernel takes at most 4095"
            )
        }
        return data
    }

    /// Makes `upper`, `work` and `rootfs` under the container's directory and
    /// mounts the overlay on `rootfs`. An image with no layers (`FROM
    /// scratch` with nothing added) gets one empty lower directory, since
    /// overlayfs needs at least one.
    public static func mount(layers: [String], paths: ContainerPaths) throws {
        let fm = FileManager.default
        var lowers = layers
        do {
            for dir in [paths.upper, paths.work, paths.rootfs] {
                try Files.makeDirectories(dir)
            }
            if lowers.isEmpty {
                let empty = paths.directory + "/empty"
                try Files.makeDirectories(empty)
                lowers = [empty]
            }
        } catch {
            throw BerthError(
                .system, "creating the rootfs directories in \(paths.directory)", cause: BerthError.describe(error))
        }
        for layer in lowers where !fm.fileExists(atPath: layer) {
            throw BerthError(.invalidSpec, "overlay: layer \(layer) does not exist")
        }
        let data = try options(layers: lowers, upper: paths.upper, work: paths.work)
        try checkSyscall("mount overlay on \(paths.rootfs) (\(data))") {
            Glibc.mount("overlay", paths.rootfs, "overlay", 0, data)
        }
    }

    /// Unmounts the rootfs; not mounted is fine. A mount still busy (a
    /// process that kept a cwd in it) is detached lazily so that removal can
    /// go on: the kernel frees it when the last user leaves.
    ///
    /// Mounts stacked on it (a second overlay, should one ever be mounted
    /// over the first) are unmounted too, up to a few.
    public static func unmount(paths: ContainerPaths) throws {
        for _ in 0..<8 {
            if umount2(paths.rootfs, 0) != 0 {
                let err = errno
                switch err {
                case EINVAL, ENOENT: return
                case EBUSY:
                    try checkSyscall("detaching busy rootfs \(paths.rootfs)") {
                        umount2(paths.rootfs, Int32(MNT_DETACH))
                    }
                default:
                    throw BerthError.system("unmounting rootfs \(paths.rootfs)", errno: err)
                }
            }
            if !isMountPoint(paths.rootfs) { return }
        }
    }

    /// Whether `path` is a mount point, from /proc/self/mountinfo.
    public static func isMounted(_ path: String) -> Bool {
        mountPoints().contains(path)
    }

    /// Whether something is mounted on `path`: its device differs from its
    /// parent directory's (an overlay, or the nsfs of a namespace file).
    /// One stat each, atomic: mountinfo is read in pieces, and while other
    /// mounts come and go a reader can miss a line that was there all along.
    /// (A bind mount from the parent's own filesystem would not show; Berth
    /// makes none where this is asked.)
    public static func isMountPoint(_ path: String) -> Bool {
        var own = stat()
        var parent = stat()
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        guard stat(path, &own) == 0, stat(directory.isEmpty ? "/" : directory, &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }

    /// Every mount point of this process's mount namespace (the fifth field
    /// of /proc/self/mountinfo, with the kernel's octal escapes undone).
    public static func mountPoints() -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? unescape(fields[4]) : nil
        }
    }

    /// mountinfo writes space, tab, newline and backslash as `\ooo`.
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let b = utf8.first {
            if b == UInt8(ascii: "\\"), utf8.count >= 4,
                let value = UInt8(String(decoding: utf8.dropFirst().prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(4)
            } else {
                bytes.append(b)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
