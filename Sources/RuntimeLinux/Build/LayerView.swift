import BerthModel
import Foundation
import Glibc

/// A stack of unpacked layer directories (lowest first) seen as one tree
/// without mounting it: a path is what the highest layer that has it holds,
/// unless a higher layer whited it out. Enough to read `/etc/passwd` and to
/// see whether a destination is a directory.
struct LayerView {
    let directories: [String]

    /// The host path of `path` in the highest layer that has it; nil when
    /// no layer has it or a whiteout hides it.
    func locate(_ path: String) -> String? {
        let relative = path.split(separator: "/").joined(separator: "/")
        if relative.isEmpty { return directories.last }
        for directory in directories.reversed() {
            let host = directory + "/" + relative
            var info = stat()
            guard lstat(host, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0 { return nil }
            return host
        }
        return nil
    }

    /// Whether `path` is a directory (a symlink to one counts, as it does for a copy).
    func isDirectory(_ path: String) -> Bool {
        guard let host = locate(path) else { return false }
        var info = stat()
        if lstat(host, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: host) else { return false }
            let resolved = target.hasPrefix("/") ? target : (path as NSString).deletingLastPathComponent + "/" + target
            return resolved != path && isDirectory(resolved)
        }
        return info.st_mode & S_IFMT == S_IFDIR
    }

    /// The text of a file, nil when missing.
    func read(_ path: String) -> String? {
        guard let host = locate(path), let data = FileManager.default.contents(atPath: host) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// `user[:group]` as numbers, names looked up in the layers' `/etc/passwd` and `/etc/group`.
    func owner(_ spec: String) throws -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        if let uid = parts.first.flatMap({ UInt32($0) }), parts.count == 1 || UInt32(parts[1]) != nil {
            return (uid, parts.count > 1 ? UInt32(parts[1]) ?? uid : uid)
        }
        guard let id = ContainerID("berth-build") else { throw BerthError(.invalidName, "no container id") }
        let resolver = UserResolver(passwd: read("/etc/passwd") ?? "", group: read("/etc/group") ?? "")
        let user = try resolver.resolve(spec, container: id)
        return (user.uid, user.gid)
    }
}

/// The merged tree of some layers, mounted read-only while `body` runs:
/// what `COPY --from` and `RUN --mount=from=` read.
enum MergedLayers {
    static func with<T>(
        _ directories: [String], scratch: String, _ body: (String) throws -> T
    ) throws -> T {
        switch directories.count {
        case 0:
            let empty = scratch + "/empty"
            try FileOps.makeDirectories(empty)
            return try body(empty)
        case 1:
            return try body(directories[0])
        default:
            let target = scratch + "/merged"
            try FileOps.makeDirectories(target)
            let data = "lowerdir=" + directories.reversed().joined(separator: ":")
            try checkSyscall("mount overlay on \(target) (\(data))") {
                Glibc.mount("overlay", target, "overlay", UInt(MS_RDONLY), data)
            }
            defer { umount2(target, Int32(MNT_DETACH)) }
            return try body(target)
        }
    }
}
