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
        let (major, minor) = numbers(info.st_rdev)
        return LinuxContainerSpec.Device(
            path: target, type: type, major: major, minor: minor, fileMode: info.st_mode & 0o7777,
            uid: info.st_uid, gid: info.st_gid, permissions: permissions)
    }

    /// `blkio_config` with each device path (links followed, as docker's)
    /// turned into its numbers; a path that is no block or character device
    /// is an error that names it.
    static func blockIO(_ config: BlkioConfig, container: String) throws -> LinuxContainerSpec.BlockIO {
        func resolve(_ devices: [BlkioConfig.Device]) throws -> [LinuxContainerSpec.BlockIO.Device] {
            try devices.map { device in
                var info = stat()
                guard stat(device.path, &info) == 0,
                    info.st_mode & S_IFMT == S_IFBLK || info.st_mode & S_IFMT == S_IFCHR
                else {
                    throw BerthError(
                        .invalidSpec,
                        "container \(container): blkio_config device \(device.path) is not a device on this host")
                }
                let (major, minor) = numbers(info.st_rdev)
                return .init(major: major, minor: minor, value: UInt64(max(0, device.value)))
            }
        }
        var blockIO = LinuxContainerSpec.BlockIO()
        blockIO.weight = config.weight.map { UInt16(clamping: $0) }
        blockIO.weightDevice = try resolve(config.weightDevice)
        blockIO.readBps = try resolve(config.readBps)
        blockIO.writeBps = try resolve(config.writeBps)
        blockIO.readIops = try resolve(config.readIops)
        blockIO.writeIops = try resolve(config.writeIops)
        return blockIO
    }

    /// A device number's major and minor parts (glibc's `gnu_dev_major`/`minor`,
    /// macros Swift cannot call).
    static func numbers(_ rdev: dev_t) -> (major: Int64, minor: Int64) {
        let dev = UInt64(rdev)
        return (
            Int64(((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))),
            Int64((dev & 0xff) | ((dev >> 12) & ~UInt64(0xff)))
        )
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
