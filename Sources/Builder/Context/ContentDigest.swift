import BerthModel
import Crypto

extension BuildContext {
    /// A digest of exactly what `sources` select: each path, its kind, mode
    /// and owner, and a file's content or a link's target. Times are not in
    /// it, so touching a file changes nothing; editing it does.
    public func digest(of sources: [ContextSource]) throws(BerthError) -> String {
        var digest = DigestWriter()
        for source in sources {
            digest.field("source", source.source)
            for match in source.matches {
                digest.field("match", match.path)
                digest.field("resolved", match.resolvedPath)
                try describe(match.entry, at: match.resolvedPath, into: &digest)
                for item in match.contents {
                    digest.field("item", item.path)
                    try describe(item.entry, at: join(match.resolvedPath, item.path), into: &digest)
                }
            }
        }
        return digest.finish()
    }

    private func describe(_ entry: FileEntry, at relative: String, into digest: inout DigestWriter) throws(BerthError) {
        digest.field("mode", String(entry.mode, radix: 8))
        digest.field("owner", "\(entry.uid):\(entry.gid)")
        switch entry.kind {
        case .file: digest.field("file", try fileSystem.digest(of: hostPath(relative), entry: entry))
        case .directory: digest.field("directory", "")
        case .symlink(let target): digest.field("symlink", target)
        case .other: digest.field("special", "")
        }
    }
}

/// A canonical, unambiguous encoding of named fields, hashed with SHA-256:
/// each field is its name, its value's length and the value, so no two
/// different field lists give the same bytes.
struct DigestWriter {
    private var hasher = SHA256()

    mutating func field(_ name: String, _ value: String) {
        hasher.update(data: Array("\(name) \(value.utf8.count) ".utf8))
        hasher.update(data: Array(value.utf8))
        hasher.update(data: [0x0A])
    }

    mutating func field(_ name: String, _ values: [String]) {
        field(name, String(values.count))
        for value in values { field("-", value) }
    }

    /// `sha256:…` of everything written.
    func finish() -> String {
        "sha256:" + Self.hex(hasher.finalize())
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
