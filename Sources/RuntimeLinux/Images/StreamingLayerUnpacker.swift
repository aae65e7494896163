import BerthModel
import Crypto
import Foundation
import Registry

#if canImport(Glibc)
import Glibc
#endif

/// Unpacks a layer while it downloads: the uncompressed tar stream goes
/// through a pipe into GNU tar (the same options as an import's
/// `Tar.extractLayer`), into a `.tmp-*` directory beside the store's
/// layers, and is hashed on the way, which gives the layer's diff ID.
///
/// Only `install`, after the pull client has checked the blob's digest,
/// gives the directory its final name; `discard` removes it. A crash in
/// between leaves a `.tmp-*` that the next `ImageStore` sweeps.
final class StreamingLayerUnpacker: LayerUnpacker, @unchecked Sendable {
    // @unchecked: the pull client calls one unpacker from one task at a time
    // (the protocol's contract); `install` comes after `finish`.
    private let layers: LayerStore
    private let what: String
    /// The `.tmp-*` directory tar unpacks into.
    let directory: String
    private let process: Process
    private let input: Int32
    private let errorFile: String
    private var hasher = SHA256()
    private var closed = false
    /// The sha256 of the tar stream, known after `finish`.
    private(set) var diffID: Registry.Digest?

    /// Starts tar on a fresh temporary directory; `what` names the layer in errors.
    init(layers: LayerStore, what: String) throws(BerthError) {
        // A tar that dies early must fail our write with EPIPE, not kill berthd.
        signal(SIGPIPE, SIG_IGN)
        guard let tar = Command.find("tar") else {
            throw BerthError(.command, "unpacking \(what) needs the `tar` command, which is not installed")
        }
        let directory = try FileOps.makeTemporaryDirectory(
            in: layers.directory, prefix: LayerStore.temporaryPrefix + "pull-")
        // mkdtemp makes 0700; see LayerStore.unpack.
        chmod(directory, 0o755)
        let errorFile = directory + ".stderr"
        var arguments = [
            "-x", "-f", "-", "-C", directory, "--numeric-owner", "--same-permissions",
            "--xattrs", "--xattrs-include=*", "--xattrs-exclude=trusted.overlay.*", "--warning=no-timestamp",
        ]
        if geteuid() == 0 { arguments.append("--same-owner") }
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tar)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        process.environment = environment
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        do {
            try process.run()
        } catch {
            FileOps.removeTree(directory)
            unlink(errorFile)
            throw BerthError(.command, "unpacking \(what): cannot start \(tar)", cause: BerthError.describe(error))
        }
        // Our copy of the read end goes, so tar's exit is seen as EPIPE here;
        // close-on-exec, so no other child spawned meanwhile holds the pipe open past our end.
        try? pipe.fileHandleForReading.close()
        let input = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        try? pipe.fileHandleForWriting.close()
        self.layers = layers
        self.what = what
        self.directory = directory
        self.errorFile = errorFile
        self.process = process
        self.input = input
    }

    deinit {
        if !closed {
            close(input)
            if process.isRunning { process.terminate() }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(BerthError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        hasher.update(bufferPointer: bytes)
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(input, base + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                let failure = FileOps.errnoText()
                throw BerthError(.command, "unpacking \(what): tar stopped reading", cause: tarSaid() ?? failure)
            }
            offset += count
        }
    }

    func finish() throws(BerthError) {
        closeInput()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw BerthError(
                .command, "unpacking \(what) failed: tar exited with status \(process.terminationStatus)",
                cause: tarSaid())
        }
        unlink(errorFile)
        try Whiteouts.convert(under: directory, what: what)
        diffID = Registry.Digest(hasher.finalize())
    }

    func discard() {
        closeInput()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        FileOps.removeTree(directory)
        unlink(errorFile)
    }

    /// The blob is verified: the directory becomes the layer `diffID`
    /// (or goes, when another pull put the same layer in place first).
    func install() throws(BerthError) {
        guard let diffID else { throw BerthError(.state, "unpacking \(what): install before the stream ended") }
        if layers.contains(diffID) {
            FileOps.removeTree(directory)
            return
        }
        guard rename(directory, layers.path(diffID)) == 0 else {
            let failure = FileOps.errnoText()
            FileOps.removeTree(directory)
            if layers.contains(diffID) { return }
            throw BerthError(.io, "installing \(what) as layer \(diffID)", cause: failure)
        }
    }

    private func closeInput() {
        guard !closed else { return }
        closed = true
        close(input)
    }

    private func tarSaid() -> String? {
        guard let bytes = try? FileOps.read(errorFile, limit: 64 << 10, what: "tar's errors") else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
        return lines.isEmpty ? nil : lines.suffix(3).joined(separator: "; ")
    }
}
