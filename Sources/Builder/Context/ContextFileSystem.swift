import BerthModel

/// The build context's files, as the builder reads them: entries without
/// following a final symlink, directory listings, and content digests. The
/// real one is `LocalFileSystem`; tests may give another.
public protocol ContextFileSystem: Sendable {
    /// What is at `path` (absolute), a final symlink not followed; nil when nothing is.
    func entry(at path: String) throws(BerthError) -> FileEntry?
    /// The names in the directory at `path`, sorted by their bytes.
    func names(in path: String) throws(BerthError) -> [String]
    /// The whole content of the regular file at `path` (a Dockerfile, a `.dockerignore`).
    func contents(of path: String) throws(BerthError) -> [UInt8]
    /// `sha256:…` of the content of the regular file at `path`.
    func digest(of path: String, entry: FileEntry) throws(BerthError) -> String
}

/// One file system entry, with what a copy keeps of it.
public struct FileEntry: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case file
        case directory
        case symlink(target: String)
        /// A device, a pipe or a socket.
        case other
    }

    public var kind: Kind
    /// Permission bits with setuid, setgid and sticky (`0o7777` at most).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    /// What tells that a file may have changed (device, inode, size, mtime,
    /// ctime): used only to reuse a digest already computed, never in a key.
    public var changeStamp: [Int64]

    public init(kind: Kind, mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0, size: Int64 = 0, changeStamp: [Int64] = [])
    {
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.changeStamp = changeStamp
    }

    public var isDirectory: Bool { kind == .directory }
}
