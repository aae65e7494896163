import Glibc

/// Whole-file reads and crash-safe replacement, for the small files berthd
/// keeps its state in (network state, container records, volume labels,
/// the image index and blobs, the projects).
public enum AtomicFile {
    /// The file's bytes, or nil when it does not exist.
    public static func read(_ path: String) throws(HostOSError) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let failure = errno
            if failure == ENOENT { return nil }
            throw HostOSError.syscall("open \(path)", errno: failure)
        }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = try Syscall.check("read \(path)") {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Replaces `path` with `bytes`: a temporary file (beside it, or in
    /// `temporaryDirectory` on the same filesystem, which its owner sweeps
    /// after a crash) written and renamed over it. rename(2) is atomic, so
    /// readers and a killed berthd see the old file or the new one, never
    /// half of one.
    ///
    /// `durable` adds an fsync of the file before the rename and of the
    /// directory after it, so the new file also survives a power cut. The
    /// image store asks for it; files that describe containers, veths and
    /// namespaces do not, since a power cut takes those away anyway, and
    /// the two fsyncs per write were a third of `down` (48 of them, 374 ms,
    /// for 20 containers).
    public static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = false,
        temporaryDirectory: String? = nil
    ) throws(HostOSError) {
        let unique = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temporary = temporaryDirectory.map { "\($0)/write-\(unique)" } ?? "\(path).tmp-\(unique)"
        do {
            try Files.write(bytes, to: temporary, mode: mode, exclusive: true, sync: durable)
        } catch {
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let failure = errno
            unlink(temporary)
            throw HostOSError.syscall("replace \(path)", errno: failure)
        }
        if durable {
            let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
            Files.syncDirectory(directory.isEmpty ? "/" : directory)
        }
    }
}
