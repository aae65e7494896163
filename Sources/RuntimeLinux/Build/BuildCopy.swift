import BerthModel
import Builder
import Foundation
import Glibc
import HostOS

/// Copies files into a staging directory the way `COPY` and `ADD` do:
/// a directory source copies what it holds, a file lands at the
/// destination or inside it when the destination is a directory (ends in
/// `/`, has several sources, or is one in the image), missing parents are
/// made, `--chown` (default root for the context, kept from a stage) and
/// `--chmod` apply to what is copied, local tars unpack under `ADD`.
struct BuildCopy {
    let stage: String
    let view: LayerView
    let step: CopyStep
    let owner: (uid: UInt32, gid: UInt32)?
    let mode: UInt32?

    init(staging: String, step: CopyStep, view: LayerView) throws {
        stage = staging
        self.step = step
        self.view = view
        owner = try step.chown.map { try view.owner($0) }
        mode = step.chmod.flatMap { UInt32($0, radix: 8) }
    }

    /// Whether the destination is a directory to copy into.
    func intoDirectory(sourceCount: Int) -> Bool {
        step.destination.hasSuffix("/") || sourceCount > 1 || view.isDirectory(step.destination)
    }

    /// Copies what a context source selected.
    func copy(_ selection: ContextSource, context: String, into: Bool) throws {
        for match in selection.matches {
            let host = match.resolvedPath.isEmpty ? context : context + "/" + match.resolvedPath
            if match.entry.isDirectory {
                let target = try makeParents(Self.trimmed(step.destination))
                for item in match.contents {
                    try copyEntry(host + "/" + item.path, to: target + "/" + item.path, keepOwner: false)
                }
                try applySymbolicMode(target)
                continue
            }
            let name = (match.path as NSString).lastPathComponent
            try place(
                host, name: name, into: into || selection.matches.count > 1, keepOwner: false,
                unpack: step.unpacksLocalArchives)
        }
    }

    /// Copies `path` (wildcards in its last element allowed) from a mounted tree.
    func copy(path: String, from root: String, into: Bool) throws {
        let matches = try Self.glob(path, in: root)
        guard !matches.isEmpty else {
            throw BerthError(.buildContext, "\(path): not found in the source")
        }
        for match in matches {
            let host = root + match
            var info = stat()
            guard stat(host, &info) == 0 else { throw BerthError(.buildContext, "\(path): not found in the source") }
            if info.st_mode & S_IFMT == S_IFDIR {
                let target = try makeParents(Self.trimmed(step.destination))
                try copyTree(host, to: target)
                try applySymbolicMode(target)
            } else {
                try place(
                    host, name: (match as NSString).lastPathComponent, into: into || matches.count > 1,
                    keepOwner: true, unpack: step.unpacksLocalArchives)
            }
        }
    }

    /// Writes `content` as the file `name`.
    func write(_ content: String, name: String, into: Bool) throws {
        let destination = into ? Self.trimmed(step.destination) + "/" + name : step.destination
        let parent = try makeParents((destination as NSString).deletingLastPathComponent)
        let path = parent + "/" + (destination as NSString).lastPathComponent
        try Files.writeBytes(Array(content.utf8), to: path)
        try finish(path, defaultMode: 0o644, keepOwner: false)
    }

    /// Puts a file (or an archive's content, for `ADD`) at the destination.
    func place(_ host: String, name: String, into: Bool, keepOwner: Bool, unpack: Bool) throws {
        if unpack, Self.isArchive(host) {
            let target = try makeParents(Self.trimmed(step.destination))
            try Command.run(
                "tar", ["-x", "-f", host, "-C", target, "--numeric-owner", "--same-owner"], what: "ADD \(name)")
            return
        }
        let destination = into ? Self.trimmed(step.destination) + "/" + name : step.destination
        let parent = try makeParents((destination as NSString).deletingLastPathComponent)
        try copyEntry(host, to: parent + "/" + (destination as NSString).lastPathComponent, keepOwner: keepOwner)
        try applySymbolicMode(parent + "/" + (destination as NSString).lastPathComponent)
    }

    /// Makes `path` and its parents in the staging tree, each with the
    /// owner and mode it has in the layers below (root 0755 when new).
    func makeParents(_ path: String) throws -> String {
        var current = stage
        var logical = ""
        for component in path.split(separator: "/") {
            logical += "/" + component
            current += "/" + component
            var info = stat()
            if lstat(current, &info) == 0 { continue }
            var below = stat()
            if let host = view.locate(logical), stat(host, &below) == 0, below.st_mode & S_IFMT == S_IFDIR {
                try checkSyscall("mkdir \(current)") { mkdir(current, below.st_mode & 0o7777) }
                chmod(current, below.st_mode & 0o7777)
                lchown(current, below.st_uid, below.st_gid)
            } else {
                try checkSyscall("mkdir \(current)") { mkdir(current, 0o755) }
                chmod(current, 0o755)
                if logical == Self.trimmed(step.destination), let owner { lchown(current, owner.uid, owner.gid) }
            }
        }
        return current
    }

    /// Copies one file, link or directory (not what a directory holds).
    private func copyEntry(_ source: String, to target: String, keepOwner: Bool) throws {
        var info = stat()
        try checkSyscall("stat \(source)") { lstat(source, &info) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            if lstat(target, &info) != 0 { try checkSyscall("mkdir \(target)") { mkdir(target, 0o755) } }
            try checkSyscall("stat \(source)") { lstat(source, &info) }
        case S_IFLNK:
            let destination = try FileManager.default.destinationOfSymbolicLink(atPath: source)
            unlink(target)
            try checkSyscall("symlink \(target)") { symlink(destination, target) }
        case S_IFREG:
            unlink(target)
            try Files.copyFile(source, to: target)
        default:
            return
        }
        var times = [info.st_atim, info.st_mtim]
        utimensat(AT_FDCWD, target, &times, AT_SYMLINK_NOFOLLOW)
        try finish(target, info: info, keepOwner: keepOwner)
    }

    private func copyTree(_ source: String, to target: String) throws {
        for name in try FileOps.list(source).sorted() {
            let from = source + "/" + name
            let to = target + "/" + name
            try copyEntry(from, to: to, keepOwner: true)
            var info = stat()
            if lstat(from, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { try copyTree(from, to: to) }
        }
    }

    private func finish(_ path: String, info: stat? = nil, defaultMode: UInt32 = 0o644, keepOwner: Bool) throws {
        let isLink = info.map { $0.st_mode & S_IFMT == S_IFLNK } ?? false
        let uid = owner?.uid ?? (keepOwner ? info?.st_uid ?? 0 : 0)
        let gid = owner?.gid ?? (keepOwner ? info?.st_gid ?? 0 : 0)
        lchown(path, uid, gid)
        if !isLink { chmod(path, mode ?? info.map { $0.st_mode & 0o7777 } ?? defaultMode) }
    }

    /// `--chmod` in chmod(1)'s symbolic form, applied with chmod itself.
    private func applySymbolicMode(_ path: String) throws {
        guard let chmod = step.chmod, mode == nil else { return }
        try Command.run("chmod", ["-R", chmod, path], what: "--chmod=\(chmod)")
    }

    /// Whether the file is a tar, plain or compressed, told by its content.
    static func isArchive(_ path: String) -> Bool {
        let head = FileOps.prefix(path, count: 262)
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return true }
        switch Compression.of(path) {
        case .gzip, .bzip2, .xz, .zstd: return true
        case .none: return false
        }
    }

    static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// The absolute paths under `root` that `path` names, `*`/`?`/`[` in its last element matched with fnmatch.
    static func glob(_ path: String, in root: String) throws -> [String] {
        let cleaned = "/" + path.split(separator: "/").joined(separator: "/")
        let name = (cleaned as NSString).lastPathComponent
        guard name.contains(where: { "*?[".contains($0) }) else {
            var info = stat()
            return lstat(root + cleaned, &info) == 0 ? [cleaned] : []
        }
        let parent = (cleaned as NSString).deletingLastPathComponent
        let names = (try? FileOps.list(root + parent)) ?? []
        return names.sorted().filter { fnmatch(name, $0, 0) == 0 }.map { (parent == "/" ? "" : parent) + "/" + $0 }
    }
}

extension Files {
    /// Writes a new regular file.
    static func writeBytes(_ bytes: [UInt8], to path: String) throws {
        do {
            try Files.write(bytes, to: path, mode: 0o644, exclusive: false)
        } catch {
            throw BerthError(.io, "writing \(path)", cause: BerthError.describe(error))
        }
    }

    /// Copies a regular file's content.
    static func copyFile(_ source: String, to target: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BerthError(.io, "cannot open \(source)", cause: FileOps.errnoText()) }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BerthError(.io, "cannot create \(target)", cause: FileOps.errnoText()) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw BerthError(.io, "cannot read \(source)", cause: FileOps.errnoText()) }
            if count == 0 { return }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { raw in
                    raw.baseAddress.map { Glibc.write(output, $0 + offset, count - offset) } ?? 0
                }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw BerthError(.io, "cannot write \(target)", cause: FileOps.errnoText()) }
                offset += written
            }
        }
    }
}
