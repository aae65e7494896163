import BerthModel
import Foundation
import HostOS

#if canImport(Glibc)
import Glibc
#endif

/// `berth cp` with docker's rules, between a host path and a path in a
/// running container, seen through `/proc/PID/root` (so the container's
/// volumes and binds are there too).
///
/// Every path in the container is resolved as the container sees it
/// (`RootfsPath`: symlinks relative to its root, `..` stopping there), and
/// files are written into it one by one, each parent resolved so, never
/// through a host tool that would follow a symlink the container planted
/// out to the host's files. Reading out, host `cp -a` copies what it finds
/// (symlinks as symlinks). Ownership, modes and times are kept both ways.
enum ContainerFiles {
    /// Copies out of the container whose root is `root`.
    static func copyOut(root: String, _ request: ContainerCopy, staging: String) throws {
        let (source, contentsOnly) = try containerSource(root: root, request)
        if request.archive {
            let directory = contentsOnly ? source : parent(source)
            let member = contentsOnly ? "." : base(source)
            try Command.run(
                "tar", ["--numeric-owner", "-C", directory, "-cf", request.hostPath, member],
                what: "copying \(request.containerPath) out of the container")
            return
        }
        try hostCopy(
            source + (contentsOnly ? "/." : ""), to: request.hostPath, what: request.containerPath,
            keepOwnership: false)
    }

    /// Copies into the container whose root is `root`; `staging` is a
    /// fresh directory of berthd's for the files on their way.
    static func copyIn(root: String, _ request: ContainerCopy, staging: String) throws {
        let destination = request.containerPath
        let resolved = try RootfsPath.resolve(destination, in: root)
        let target: String
        if request.archive {
            guard Files.kind(resolved) == .directory else {
                throw BerthError(.notFound, "copying into the container: \(destination) is not a directory there")
            }
            try Command.run(
                "tar", ["--same-owner", "--numeric-owner", "-C", staging, "-xf", request.hostPath],
                what: "unpacking the archive for \(destination)")
            target = destination
        } else {
            let source = request.hostPath
            let sourceKind = Files.kind(source.hasSuffix("/.") ? String(source.dropLast(2)) : source)
            guard sourceKind != .missing else {
                throw BerthError(.notFound, "copying into the container: no such file or directory: \(source)")
            }
            switch Files.kind(resolved) {
            case .directory:
                target = destination
                try hostCopy(source, to: staging + (source.hasSuffix("/.") ? "" : "/" + base(source)), what: source)
            case .missing:
                guard !destination.hasSuffix("/") else {
                    throw BerthError(
                        .notFound, "copying into the container: the directory \(destination) does not exist")
                }
                guard Files.kind(try RootfsPath.resolve(parent(destination), in: root)) == .directory else {
                    throw BerthError(
                        .notFound, "copying into the container: the directory \(parent(destination)) does not exist")
                }
                target = parent(destination)
                try hostCopy(source, to: staging + "/" + base(destination), what: source)
            default:
                guard sourceKind != .directory else {
                    throw BerthError(.invalidArgument, "cannot copy the directory \(source) to the file \(destination)")
                }
                target = parent(destination)
                try hostCopy(source, to: staging + "/" + base(destination), what: source)
            }
        }
        try place(staging, into: target, root: root, owner: request.keepOwnership ? nil : (0, 0))
    }

    /// The source in the container, and whether only its contents go (`DIR/.`).
    private static func containerSource(root: String, _ request: ContainerCopy) throws -> (String, Bool) {
        var path = request.containerPath
        let contentsOnly = path.hasSuffix("/.")
        if contentsOnly { path.removeLast(2) }
        // The last component is taken as it is (a symlink copied as one) unless -L.
        let resolved =
            request.followLink || contentsOnly || path.hasSuffix("/") || base(path) == ".."
            ? try RootfsPath.resolve(path, in: root)
            : try RootfsPath.resolve(parent(path), in: root) + "/" + base(path)
        guard Files.kind(resolved) != .missing else {
            throw BerthError(
                .notFound, "copying out of the container: no such file or directory: \(request.containerPath)")
        }
        return (resolved, contentsOnly)
    }

    /// Every entry of `staging`, written under `target` in the container,
    /// each parent resolved in the container's root.
    private static func place(_ staging: String, into target: String, root: String, owner: (uid_t, gid_t)?) throws {
        var pending = try Files.names(in: staging).map { $0 }
        while let relative = pending.popLast() {
            let from = staging + "/" + relative
            let directory = try RootfsPath.resolve(target + "/" + parent("/" + relative), in: root)
            let to = directory + "/" + base(relative)
            var info = stat()
            guard lstat(from, &info) == 0 else { throw failure("reading", from) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if Files.kind(to) != .directory {
                    try removeExisting(to)
                    guard mkdir(to, info.st_mode & 0o7777) == 0 else { throw failure("creating", to) }
                }
                pending += try Files.names(in: from).map { relative + "/" + $0 }
            case S_IFLNK:
                try removeExisting(to)
                let link = try FileManager.default.destinationOfSymbolicLink(atPath: from)
                guard symlink(link, to) == 0 else { throw failure("creating", to) }
            case S_IFREG:
                try removeExisting(to)
                try copyFile(from, to, mode: info.st_mode & 0o7777)
            default:
                continue
            }
            _ = lchown(to, owner?.0 ?? info.st_uid, owner?.1 ?? info.st_gid)
            if info.st_mode & S_IFMT != S_IFLNK { _ = chmod(to, info.st_mode & 0o7777) }
            var times = [info.st_atim, info.st_mtim]
            _ = utimensat(AT_FDCWD, to, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// Whatever is at `path` goes, unless it is a directory (merged into instead).
    private static func removeExisting(_ path: String) throws {
        switch Files.kind(path) {
        case .missing: return
        case .directory:
            throw BerthError(.invalidArgument, "cannot copy over the directory \(path) in the container with a file")
        default:
            guard unlink(path) == 0 else { throw failure("replacing", path) }
        }
    }

    /// A regular file's bytes, into a file created without following a symlink.
    private static func copyFile(_ from: String, _ to: String, mode: mode_t) throws {
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("reading", from) }
        defer { close(input) }
        let output = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard output >= 0 else { throw failure("creating", to) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(input, &buffer, buffer.count)
            if count == 0 { return }
            guard count > 0 else { throw failure("reading", from) }
            var written = 0
            while written < count {
                let step = buffer.withUnsafeBytes { bytes in
                    bytes.baseAddress.map { write(output, $0 + written, count - written) } ?? -1
                }
                guard step > 0 else { throw failure("writing", to) }
                written += step
            }
        }
    }

    /// `cp -a` on the host: docker's rules for a destination that is a
    /// directory (into it), missing (as that name) or a file (replaced).
    private static func hostCopy(_ source: String, to destination: String, what: String, keepOwnership: Bool = true)
        throws
    {
        if destination.hasSuffix("/"), Files.kind(destination) == .missing {
            throw BerthError(.notFound, "copying \(what): the directory \(destination) does not exist")
        }
        let keep = keepOwnership ? [] : ["--no-preserve=ownership"]
        try Command.run("cp", ["-a"] + keep + [source, destination], what: "copying \(what)")
    }

    private static func failure(_ doing: String, _ path: String) -> BerthError {
        BerthError(.io, "berth cp: \(doing) \(path)", cause: String(cString: strerror(errno)))
    }

    static func parent(_ path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    static func base(_ path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/").last.map(String.init) ?? "/"
    }
}
