import BerthModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the few helper programs the store leans on (`tar`, `gzip`, `zstd`):
/// GNU tar already knows every tar dialect, xattrs, sparse files and
/// compressed streams, and it runs as root with `--same-owner`, which is
/// exactly what unpacking a layer needs.
///
/// Foundation's `Process` is enough here; it moves to `HostOS.CommandRunner`
/// once `RuntimeLinux` may import it.
enum Command {
    /// Runs `tool arguments…` with stdin and stdout redirected to files (or
    /// /dev/null) and stderr captured; throws, naming `what` was being done,
    /// the command and its last words, unless it exits 0.
    static func run(
        _ tool: String, _ arguments: [String], stdin: String? = nil, stdout: String? = nil, what: String
    ) throws(BerthError) {
        guard let executable = find(tool) else {
            let package = tool == "xz" ? "xz-utils" : tool
            throw BerthError(
                .command, "\(what) needs the `\(tool)` command, which is not installed (Debian package \(package))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Untranslated messages: they end up in our errors, and in tests that read them.
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        var handles: [FileHandle] = []
        defer { for handle in handles { try? handle.close() } }
        if let stdin {
            guard let handle = FileHandle(forReadingAtPath: stdin) else {
                throw BerthError(.io, "\(what): cannot open \(stdin)", cause: FileOps.errnoText())
            }
            handles.append(handle)
            process.standardInput = handle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        if let stdout {
            try FileOps.write([], to: stdout)
            guard let handle = FileHandle(forWritingAtPath: stdout) else {
                throw BerthError(.io, "\(what): cannot open \(stdout)", cause: FileOps.errnoText())
            }
            handles.append(handle)
            process.standardOutput = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        do {
            try process.run()
        } catch {
            throw BerthError(.command, "\(what): cannot start \(executable)", cause: BerthError.describe(error))
        }
        // Read stderr to its end before waiting: a chatty child would otherwise
        // block on a full pipe while we block on its exit.
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how =
                process.terminationReason == .exit
                ? "exited with status \(process.terminationStatus)"
                : "was killed by signal \(process.terminationStatus)"
            throw BerthError(.command, "\(what) failed: \(tool) \(how)", cause: lastLines(message))
        }
    }

    /// The path of `tool` on PATH, or in the usual places when PATH is bare.
    static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs =
            path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return dirs.map { $0 + "/" + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The last few lines of a tool's stderr: enough to say why, short enough to read.
    private static func lastLines(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.suffix(4).joined(separator: "; ")
    }
}

/// The compression of a layer or archive stream, told by its first bytes
/// (never by a file name or a media type, which archives get wrong).
enum Compression: Equatable {
    case none, gzip, zstd, bzip2, xz

    /// The compression of the file at `path`.
    static func of(_ path: String) -> Compression {
        let magic = FileOps.prefix(path, count: 6)
        if magic.starts(with: [0x1f, 0x8b]) { return .gzip }
        if magic.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if magic.starts(with: [0x42, 0x5a, 0x68]) { return .bzip2 }
        if magic.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        return .none
    }

    /// The OCI layer media type for this compression; nil for those OCI has none for.
    var layerMediaType: String? {
        switch self {
        case .none: MediaType.ociLayer
        case .gzip: MediaType.ociLayerGzip
        case .zstd: MediaType.ociLayerZstd
        case .bzip2, .xz: nil
        }
    }

    /// The program that decompresses it to stdout; nil when there is nothing to undo.
    var tool: String? {
        switch self {
        case .none: nil
        case .gzip: "gzip"
        case .zstd: "zstd"
        case .bzip2: "bzip2"
        case .xz: "xz"
        }
    }

    /// Writes the decompressed stream of `path` to `output`.
    func decompress(_ path: String, to output: String, what: String) throws(BerthError) {
        guard let tool else { throw BerthError(.usage, "decompressing \(what): it is not compressed") }
        try Command.run(tool, ["-d", "-c"], stdin: path, stdout: output, what: "decompressing \(what)")
    }
}

/// GNU tar, with the options each use needs.
enum Tar {
    /// The member names of an archive (compressed or not). Reading the whole
    /// listing also proves the archive is complete: a truncated one fails here.
    static func members(of archive: String, scratch: String, what: String) throws(BerthError) -> [String] {
        let listing = scratch + "/listing"
        defer { FileOps.removeTree(listing) }
        try Command.run("tar", ["-t", "-f", archive], stdout: listing, what: "reading \(what) as a tar archive")
        let bytes = try FileOps.read(listing, limit: 1 << 30, what: "the member list of \(what)")
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Unpacks an archive of plain files (an OCI layout, a `docker save`)
    /// owned by us, whatever owners it records: its files are data to read, not a filesystem.
    static func extractFiles(_ archive: String, into directory: String, what: String) throws(BerthError) {
        try Command.run(
            "tar",
            [
                "-x", "-f", archive, "-C", directory, "--no-same-owner", "--no-same-permissions",
                "--warning=no-timestamp",
            ],
            what: "unpacking \(what)")
    }

    /// Unpacks a layer (an uncompressed tar) with full fidelity: numeric
    /// owners, modes, device nodes and xattrs, as root does.
    ///
    /// `trusted.overlay.*` xattrs in the archive are dropped: overlayfs obeys
    /// them (`redirect`, `origin`, `opaque`), and only our whiteout conversion
    /// may set them. GNU tar already refuses `..` members and defers symlinks
    /// that point outside the tree, so a layer cannot write outside `directory`.
    static func extractLayer(_ archive: String, into directory: String, what: String) throws(BerthError) {
        var arguments = [
            "-x", "-f", archive, "-C", directory, "--numeric-owner", "--same-permissions",
            "--xattrs", "--xattrs-include=*", "--xattrs-exclude=trusted.overlay.*", "--warning=no-timestamp",
        ]
        // Only root may give files away; without it tar would fail on every chown.
        if geteuid() == 0 { arguments.append("--same-owner") }
        try Command.run("tar", arguments, what: "unpacking \(what)")
    }

    /// Packs a directory into an uncompressed tar, reproducibly (sorted names,
    /// no atime/ctime), so the same tree gives the same digest and its layer is shared.
    static func create(from directory: String, to archive: String, what: String) throws(BerthError) {
        try Command.run(
            "tar",
            [
                "-c", "-f", archive, "-C", directory, "--numeric-owner", "--xattrs", "--xattrs-include=*",
                "--format=posix", "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
                "--sort=name", ".",
            ],
            what: "packing \(what)")
    }
}
