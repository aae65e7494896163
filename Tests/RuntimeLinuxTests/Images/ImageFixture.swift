import BerthModel
import Foundation
import Glibc
import Registry
import TestSupport
import Testing

@testable import RuntimeLinux

/// One test's world: a fresh `/tmp/berth-test-*` directory holding the store
/// (`store/`) and the inputs the test builds (`work/`), removed afterwards
/// whether the test passed or threw.
struct ImageFixture {
    let root: String
    let store: ImageStore
    let work: String

    /// Runs `body` with a new fixture, then deletes it.
    static func with<T>(_ body: (ImageFixture) throws -> T) throws -> T {
        try withScratchDirectory(prefix: "berth-test") { scratch in
            let work = try scratch.makeDirectory("work")
            let store = try ImageStore(root: URL(fileURLWithPath: scratch.path("store")))
            return try body(ImageFixture(root: scratch.path, store: store, work: work))
        }
    }

    var storeRoot: String { root + "/store" }

    /// Files under the store's temporary places: must be none between operations.
    func leftovers() throws -> [String] {
        let temporary = try FileOps.list(storeRoot + "/images/tmp")
        let layers = try FileOps.list(storeRoot + "/layers").filter { $0.hasPrefix(".") }
        return temporary + layers
    }

    /// The blobs and unpacked layers in the store.
    func blobCount() throws -> Int { try FileOps.list(storeRoot + "/images/blobs/sha256").count }
    func layerCount() throws -> Int { try FileOps.list(storeRoot + "/layers").count }

    /// The store's index file, or "" when it has none yet.
    func indexText() -> String {
        (try? String(decoding: FileOps.read(storeRoot + "/images/index.json", what: "index"), as: UTF8.self)) ?? ""
    }

    // MARK: Building inputs

    /// A path under `work/`.
    func path(_ relative: String) -> String { work + "/" + relative }

    /// Writes `text` at `work/relative`, making its directories.
    @discardableResult
    func write(_ relative: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        let full = path(relative)
        try FileOps.makeDirectories(String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)]))
        try FileOps.write(Array(text.utf8), to: full)
        chmod(full, mode)
        return full
    }

    /// Writes raw bytes at `work/relative`.
    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let full = path(relative)
        try FileOps.makeDirectories(String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)]))
        try FileOps.write(bytes, to: full)
        return full
    }

    /// Makes `work/relative` a directory.
    @discardableResult
    func directory(_ relative: String) throws -> String {
        try FileOps.makeDirectories(path(relative))
        return path(relative)
    }

    /// Packs `work/source` into `work/output` as a tar (gzip'd when asked), owners numeric.
    @discardableResult
    func tar(_ source: String, to output: String, gzip: Bool = false) throws -> String {
        var arguments = [
            "-c", "-f", path(output), "-C", path(source), "--numeric-owner", "--xattrs", "--xattrs-include=*",
        ]
        if gzip { arguments.insert("-z", at: 0) }
        try Command.run("tar", arguments + ["."], what: "packing a test input")
        return path(output)
    }

    /// Packs the named members of `work/source`, in that order (so the test
    /// decides where whiteouts fall in the stream).
    @discardableResult
    func tar(_ source: String, members: [String], to output: String) throws -> String {
        try Command.run(
            "tar", ["-c", "-f", path(output), "-C", path(source), "--numeric-owner", "--no-recursion"] + members,
            what: "packing a test input")
        return path(output)
    }

    /// gzip's output for a file (kept beside it as `.gz`).
    func gzip(_ relative: String) throws -> String {
        try Command.run("gzip", ["-n", "-k", "-f", path(relative)], what: "compressing a test input")
        return path(relative) + ".gz"
    }

    /// The sha256 of a file.
    func digest(_ full: String) throws -> Digest { try FileOps.hash(full, what: "a test file").0 }

    /// The bytes of a file.
    func bytes(_ full: String) throws -> [UInt8] { try FileOps.read(full, limit: 1 << 30, what: "a test file") }
}

/// `lstat` of a path, or nil.
func fileInfo(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

/// A docker `config` object with the run settings the tests read back.
func configJSON(cmd: [String], diffIDs: [Digest], extra: String = "") -> String {
    let cmdText = cmd.map { "\"\($0)\"" }.joined(separator: ",")
    let ids = diffIDs.map { "\"\($0)\"" }.joined(separator: ",")
    return """
        {"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z",\
        "config":{"Cmd":[\(cmdText)],"Env":["PATH=/bin"],"WorkingDir":"","Entrypoint":null\(extra)},\
        "rootfs":{"type":"layers","diff_ids":[\(ids)]}}
        """
}
