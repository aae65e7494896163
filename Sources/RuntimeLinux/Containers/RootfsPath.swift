import BerthModel
import Foundation
import HostOS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Paths inside a container's rootfs, resolved as the container would see
/// them.
///
/// An image may hold `/etc/passwd -> /host/etc/passwd` or `../../..`: read
/// naively from the host, those escape the rootfs and read the host's files.
/// Every symlink is resolved relative to the rootfs and `..` stops at its
/// top, as openat2(RESOLVE_IN_ROOT) would do (Glibc's module has no
/// openat2, and `syscall` is variadic, so Swift cannot call it).
enum RootfsPath {
    /// The host path of `path` inside `root`; a missing component ends the
    /// resolution there (the rest is taken literally).
    static func resolve(_ path: String, in root: String) throws -> String {
        var resolved: [Substring] = []
        var pending = ArraySlice(path.split(separator: "/", omittingEmptySubsequences: true))
        var hops = 0
        while let component = pending.first {
            pending = pending.dropFirst()
            if component == "." { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = join(root, resolved + [component])
            guard let target = readLink(candidate) else {
                resolved.append(component)
                continue
            }
            hops += 1
            if hops > 40 {
                throw BerthError(.invalidSpec, "resolving \(path) in \(root): too many levels of symbolic links")
            }
            if target.hasPrefix("/") { resolved = [] }
            pending = ArraySlice(target.split(separator: "/", omittingEmptySubsequences: true)) + pending
        }
        return join(root, resolved)
    }

    /// The contents of `path` inside `root`, or nil when there is no such file.
    static func read(_ path: String, in root: String) throws -> String? {
        let host = try resolve(path, in: root)
        guard FileManager.default.fileExists(atPath: host) else { return nil }
        do {
            return try String(contentsOfFile: host, encoding: .utf8)
        } catch {
            throw BerthError(.system, "reading \(path) in \(root)", cause: BerthError.describe(error))
        }
    }

    /// Makes the directory `path` inside `root` (and its parents), as docker
    /// makes a missing working directory; owned by root, mode 0755.
    static func makeDirectory(_ path: String, in root: String) throws {
        let host = try resolve(path, in: root)
        do {
            try Files.makeDirectories(host)
        } catch {
            throw BerthError(
                .system, "creating working directory \(path) in \(root)", cause: BerthError.describe(error))
        }
    }

    private static func join(_ root: String, _ components: [Substring]) -> String {
        components.isEmpty ? root : root + "/" + components.joined(separator: "/")
    }

    /// The target of a symlink, or nil when `path` is not one (or is missing).
    private static func readLink(_ path: String) -> String? {
        guard Files.kind(path) == .symlink else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
