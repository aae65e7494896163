import BerthModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Host device nodes as a container gets them (`devices:`, and every one
/// for `privileged: true`), read with stat(2) as docker's daemon reads them
/// (`oci/devices_linux.go`).
enum HostDevices {
    /// The devices `mapping` names: the node itself, or every node under a
    /// directory at the same place under the target. Throws when the path
    /// is neither.
    static func devices(_ mapping: DeviceMapping, container: String) throws -> [LinuxContainerSpec.Device] {
        if let device = device(at: mapping.source, target: mapping.target, permissions: mapping.permissions) {
            return [device]
        }
        var info = stat()
        guard stat(mapping.source, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw BerthError(
                .invalidSpec,
                "container \(container): device \"\(mapping.source)\" is not a device or a directory of devices on this host"
            )
        }
        return walk(mapping.source).compactMap { path in
            device(
                at: path, target: mapping.target + path.dropFirst(mapping.source.count),
                permissions: mapping.permissions)
        }
    }

    /// Every device under the host's `/dev` but those every container has
    /// and the pseudo-terminals (docker's `--privileged` list).
    static func all() -> [LinuxContainerSpec.Device] {
        let standard: Set<String> = [
            "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console",
            "/dev/ptmx",
        ]
        return walk("/dev", skipping: ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"])
            .filter { !standard.contains($0) }
            .compactMap { device(at: $0, target: $0, permissions: "rwm") }
    }

    /// The device at `path` (not followed if a link), or nil if it is none.
    static func device(at path: String, target: String, permissions: String) -> LinuxContainerSpec.Device? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let type: String
        switch info.st_mode & S_IFMT {
        case S_IFCHR: type = "c"
        case S_IFBLK: type = "b"
        default: return nil
        }
        let dev = UInt64(info.st_rdev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        return LinuxContainerSpec.Device(
            path: target, type: type, major: Int64(major), minor: Int64(minor), fileMode: info.st_mode & 0o7777,
            uid: info.st_uid, gid: info.st_gid, permissions: permissions)
    }

    /// The paths under `directory`, recursively, not following links and
    /// leaving out the subdirectories named in `skipping`.
    private static func walk(_ directory: String, skipping: Set<String> = []) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var paths: [String] = []
        for name in names.sorted() where !skipping.contains(name) {
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                paths += walk(path)
            } else {
                paths.append(path)
            }
        }
        return paths
    }
}
