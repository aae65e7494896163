import BerthModel
import Crypto
import Synchronization

@testable import Builder

/// An in-memory context: what a test cannot do without root (owners) or
/// wants to state exactly, it sets here.
final class FakeFileSystem: ContextFileSystem {
    struct Node {
        var entry: FileEntry
        var content: [UInt8]
    }

    private let nodes = Mutex<[String: Node]>([:])

    init(root: String) {
        nodes.withLock { $0[root] = Node(entry: FileEntry(kind: .directory, mode: 0o755), content: []) }
    }

    func file(_ path: String, _ text: String, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0, stamp: Int64 = 1)
    {
        let entry = FileEntry(
            kind: .file, mode: mode, uid: uid, gid: gid, size: Int64(text.utf8.count), changeStamp: [stamp])
        nodes.withLock { $0[path] = Node(entry: entry, content: Array(text.utf8)) }
    }

    func directory(_ path: String) {
        nodes.withLock { $0[path] = Node(entry: FileEntry(kind: .directory, mode: 0o755), content: []) }
    }

    func entry(at path: String) throws(BerthError) -> FileEntry? { nodes.withLock { $0[path]?.entry } }

    func names(in path: String) throws(BerthError) -> [String] {
        let prefix = path + "/"
        return nodes.withLock { nodes in
            nodes.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    func contents(of path: String) throws(BerthError) -> [UInt8] {
        guard let node = nodes.withLock({ $0[path] }) else { throw BerthError(.buildContext, "\(path): no such file") }
        return node.content
    }

    func digest(of path: String, entry: FileEntry) throws(BerthError) -> String {
        return "sha256:" + SHA256.hash(data: try contents(of: path)).map { String(format: $0) }.joined()
    }
}

extension String {
    /// Two lowercase hex digits.
    fileprivate init(format byte: UInt8) {
        self = (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }
}
