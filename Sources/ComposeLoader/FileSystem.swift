import BerthModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the loader needs, straight over libc so that a
/// `berth config` does not pay for Foundation's start-up.
enum FileSystem {
    /// What is at a path.
    enum Kind { case missing, file, directory, other }

    static func kind(_ path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The whole file, or a clear error naming the path.
    static func read(_ path: String) throws(BerthError) -> [UInt8] {
        switch kind(path) {
        case .missing:
            throw BerthError(.unreadableFile, "\(path): no such file")
        case .directory:
            throw BerthError(.unreadableFile, "\(path): is a directory, not a compose file")
        default:
            break
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BerthError(.unreadableFile, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        return try readAll(fd, name: path)
    }

    /// Everything a descriptor gives until end of file.
    ///
    /// A regular file's size is known: it is read straight into an array of
    /// that size (reading in chunks appended to a growing array copied a
    /// 550 KB file several times over fresh pages).
    static func readAll(_ fd: Int32, name: String) throws(BerthError) -> [UInt8] {
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0, info.st_size <= 64 << 20 {
            let size = Int(info.st_size)
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                while initialized < size, let base = buffer.baseAddress {
                    let n = Glibc.read(fd, base + initialized, size - initialized)
                    if n == 0 { break }
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        break
                    }
                    initialized += n
                }
            }
            if failure != 0 {
                throw BerthError(.unreadableFile, "\(name): cannot read: \(String(cString: strerror(failure)))")
            }
            // A file that grew since `fstat` is read on to its end.
            guard bytes.count == size else { return bytes }
            var probe: UInt8 = 0
            var n = Glibc.read(fd, &probe, 1)
            while n < 0 && errno == EINTR { n = Glibc.read(fd, &probe, 1) }
            if n == 0 { return bytes }
            if n < 0 { throw BerthError(.unreadableFile, "\(name): cannot read: \(String(cString: strerror(errno)))") }
            return try readChunks(fd, name: name, startingWith: bytes + [probe])
        }
        return try readChunks(fd, name: name, startingWith: [])
    }

    /// Reads in 64 KiB pieces until end of file, after `bytes`.
    private static func readChunks(_ fd: Int32, name: String, startingWith bytes: [UInt8]) throws(BerthError) -> [UInt8]
    {
        var bytes = bytes
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw BerthError(.unreadableFile, "\(name): cannot read: \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 64 << 20 {
                throw BerthError(.unreadableFile, "\(name): larger than 64 MiB; not a compose file")
            }
        }
        return bytes
    }

    /// The current directory.
    static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// The process environment.
    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}
