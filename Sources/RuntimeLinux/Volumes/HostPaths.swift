import BerthModel
import Glibc
import HostOS

/// Paths on the host for volumes and bind mounts, over lstat (`Files.kind`):
/// a symlink is never followed by accident.
enum HostPath {
    /// Whether the directory holds nothing but `.` and `..`.
    static func isEmptyDirectory(_ path: String) throws(BerthError) -> Bool {
        do {
            return try Files.isEmptyDirectory(path)
        } catch {
            throw BerthError(.io, "cannot read directory \(path)", wrapping: error)
        }
    }

    /// The names in a directory, without `.` and `..`, sorted.
    static func list(_ path: String) throws(BerthError) -> [String] {
        do {
            return try Files.names(in: path)
        } catch {
            throw BerthError(.io, "cannot list directory \(path)", wrapping: error)
        }
    }

    /// `path` as a container whose root is `rootfs` will see it, as a path
    /// on the host: symlinks on the way are followed *inside* rootfs (an
    /// absolute target starts again at rootfs, `..` stops at it), as the
    /// kernel would after the container's pivot_root. Nil when something on
    /// the way does not exist.
    ///
    /// Why not realpath: an image is input, and its `/data -> /etc` would
    /// otherwise make the seeding copy the host's /etc into a volume.
    static func resolve(_ path: String, in rootfs: String) throws(BerthError) -> String? {
        var pending = path.split(separator: "/").map(String.init)[...]
        var resolved: [String] = []
        var links = 0
        while let component = pending.popFirst() {
            if component == "." { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = rootfs + "/" + (resolved + [component]).joined(separator: "/")
            switch Files.kind(candidate) {
            case .missing:
                return nil
            case .symlink:
                // The kernel's limit, so a loop in an image ends as it would.
                links += 1
                if links > 40 {
                    throw BerthError(.invalidArgument, "too many symbolic links resolving \(path) in \(rootfs)")
                }
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(candidate, &buffer, buffer.count - 1)
                guard count >= 0 else {
                    throw BerthError(
                        .io, "cannot read symbolic link \(candidate)", cause: HostOSError.describe(errno: errno))
                }
                let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") { resolved = [] }
                pending = (target.split(separator: "/").map(String.init) + pending)[...]
            case .directory, .regular, .socket, .other:
                resolved.append(component)
            }
        }
        return rootfs + (resolved.isEmpty ? "" : "/" + resolved.joined(separator: "/"))
    }
}

/// The host side of a bind mount (compose's `type: bind`, or `- ./data:/data`).
public enum BindSource {
    /// The source, ready to bind. It must be absolute: the loader has
    /// already resolved relative paths against the project directory, so a
    /// relative one here is a bug upstream, refused rather than guessed at.
    /// A missing source is created as a directory (mode 0755), as docker
    /// does and compose's `create_host_path` (default true) asks; with
    /// `createHostPath: false` it is an error instead.
    public static func prepare(_ path: String, createHostPath: Bool = true) throws(BerthError) -> String {
        guard path.hasPrefix("/") else {
            throw BerthError(.invalidArgument, "bind source \"\(path)\" is not an absolute path")
        }
        // stat, not lstat: a bind mount follows a symlinked source, and so
        // does the check of whether it exists.
        var info = stat()
        if stat(path, &info) == 0 { return path }
        let failure = errno
        guard failure == ENOENT else {
            throw BerthError(
                .io, "cannot use bind source path \"\(path)\"", cause: HostOSError.describe(errno: failure))
        }
        guard createHostPath else {
            throw BerthError(.notFound, "bind source path \"\(path)\" does not exist and create_host_path is false")
        }
        do {
            try Files.makeDirectories(path, mode: 0o755)
        } catch {
            throw BerthError(.io, "cannot create bind source path \"\(path)\"", wrapping: error)
        }
        return path
    }
}
