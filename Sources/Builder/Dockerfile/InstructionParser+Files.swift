import BerthModel

/// `COPY` and `ADD`.
extension InstructionParser {
    func parseFileCopy(_ raw: RawInstruction, isAdd: Bool) throws(BerthError) -> FileCopy {
        var accepted: [String: FlagSet.Kind] = ["chown": .string, "chmod": .string, "link": .bool, "exclude": .strings]
        if isAdd {
            accepted.merge(["checksum": .string, "unpack": .bool, "keep-git-dir": .bool]) { $1 }
        } else {
            accepted.merge(["from": .string, "parents": .bool]) { $1 }
        }
        let flags = try flags(raw, accepted)
        let words = try jsonOrWords(raw)
        guard words.count >= 2, let destination = words.last else {
            throw .dockerfile(raw.location, raw.keyword, "needs a source and a destination")
        }
        if try heredoc(destination, raw) != nil {
            throw .dockerfile(raw.location, raw.keyword, "the destination cannot be a heredoc")
        }
        var sources: [String] = []
        var inlineFiles: [Heredoc] = []
        for word in words.dropLast() {
            guard let opened = try heredoc(word, raw) else {
                sources.append(word)
                continue
            }
            // The body is the one read after the line under that delimiter.
            var file = raw.heredocs.first { $0.name == opened.name } ?? opened
            file.expands = opened.expands
            file.stripsTabs = opened.stripsTabs
            inlineFiles.append(file)
        }
        let from = flags.string("from")
        if let from, (try? WordLexer(escape: escape).expand(from, Variables())) != from {
            throw .dockerfile(
                raw.location, raw.keyword,
                "--from=\(from): variables are not expanded in --from; name a stage made with FROM and a global ARG")
        }
        return FileCopy(
            sources: sources, inlineFiles: inlineFiles, destination: destination, from: from,
            chown: flags.string("chown"), chmod: flags.string("chmod"), link: flags.bool("link") ?? false,
            parents: flags.bool("parents") ?? false, excludes: flags.strings("exclude"),
            checksum: flags.string("checksum"), unpack: flags.bool("unpack"), keepGitDir: flags.bool("keep-git-dir"))
    }

    /// The heredoc `word` opens, if any; a word that looks like a broken one is an error.
    private func heredoc(_ word: String, _ raw: RawInstruction) throws(BerthError) -> Heredoc? {
        do {
            return try HeredocWords.parse(word)
        } catch {
            throw .dockerfile(raw.location, raw.keyword, "heredoc \(word): \(error.message)")
        }
    }
}
