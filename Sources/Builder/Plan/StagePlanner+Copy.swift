import BerthModel

/// `COPY` and `ADD`: flags and words expanded, sources classified, the
/// destination made absolute.
extension StagePlanner {
    mutating func copy(_ copy: FileCopy, _ instruction: Instruction) throws(BerthError) -> (StepOperation, String) {
        let isAdd = instruction.keyword == "ADD"
        func failure(_ what: String, code: BerthError.Code = .invalidDockerfile) -> BerthError {
            .dockerfile(instruction.location, instruction.keyword, what, code: code)
        }
        let chown = try copy.chown.map { (word: String) throws(BerthError) in try expand(word, instruction) }
        let chmod = try copy.chmod.map { (word: String) throws(BerthError) in try expand(word, instruction) }
        let checksum = try copy.checksum.map { (word: String) throws(BerthError) in try expand(word, instruction) }
        if let chmod, !FileModeText.isValid(chmod) {
            throw failure("--chmod=\(chmod): expected an octal mode up to 7777 or a symbolic one like u=rwX,go=rX")
        }
        let origin: MountOrigin =
            try copy.from.map { (from: String) throws(BerthError) in
                try resolvedOrigin(from, allowsIndex: true, flag: "--from", instruction)
            } ?? .context
        var sources: [CopySource] = []
        var written: [String] = []
        for word in copy.sources {
            let source = try expand(word, instruction)
            written.append(source)
            if Self.isGit(source) {
                throw failure(
                    "\(source): adding a git repository is not supported; clone it in a RUN", code: .unsupported)
            }
            if source.hasPrefix("http://") || source.hasPrefix("https://") {
                guard isAdd else { throw failure("\(source): COPY cannot fetch a URL; use ADD") }
                sources.append(.url(source, checksum: checksum))
                continue
            }
            if origin == .context, Paths.clean(source).hasPrefix("..") {
                throw failure("\(source): the path is outside the build context", code: .buildContext)
            }
            sources.append(.path(source))
        }
        if let checksum {
            guard sources.count == 1, case .url = sources[0], copy.inlineFiles.isEmpty else {
                throw failure("--checksum needs exactly one source, an http(s) URL")
            }
            guard Self.isSHA256(checksum) else {
                throw failure("--checksum=\(checksum): expected sha256: and 64 hex digits")
            }
        }
        for file in copy.inlineFiles {
            var content = file.body
            if file.expands {
                var raw = WordLexer()
                raw.ignoresQuotes = true
                content = try raw.expand(content, state.variables, at: instruction)
            }
            sources.append(.inline(name: file.name, content: content))
        }
        let destination = try expand(copy.destination, instruction)
        let step = CopyStep(
            isAdd: isAdd, origin: origin, sources: sources,
            destination: Paths.destination(destination, workdir: state.workdir),
            chown: chown, chmod: chmod, link: copy.link, parents: copy.parents, excludes: copy.excludes,
            unpack: copy.unpack)
        var flags = copy.parents ? " --parents" : ""
        if let chown { flags += " --chown=" + chown }
        if let chmod { flags += " --chmod=" + chmod }
        let inline = copy.inlineFiles.map { " <<" + $0.name }.joined()
        commit(
            instruction.keyword + flags + written.map { " " + $0 }.joined() + inline + " " + destination, layer: true,
            buildkitSuffix: true)
        return (.copy(step), instruction.text)
    }

    /// A git repository as `ADD` would clone it: `git@…`, `git://…`, or an
    /// http(s) URL whose path ends in `.git` (with an optional `#ref`).
    static func isGit(_ source: String) -> Bool {
        if source.hasPrefix("git@") || source.hasPrefix("git://") || source.hasPrefix("ssh://") { return true }
        guard source.hasPrefix("http://") || source.hasPrefix("https://") else { return false }
        let path = source.split(separator: "#", maxSplits: 1).first.map(String.init) ?? source
        return path.hasSuffix(".git") || path.hasSuffix(".git/")
    }

    static func isSHA256(_ checksum: String) -> Bool {
        guard checksum.hasPrefix("sha256:") else { return false }
        let hex = checksum.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

/// `--chmod` values: octal up to `7777`, or chmod(1)'s symbolic clauses
/// (`+x`, `u=rwX,go=rX`, `g=u`), as Dockerfile 1.14 accepts.
enum FileModeText {
    static func isValid(_ text: String) -> Bool {
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return UInt32(text, radix: 8).map { $0 <= 0o7777 } ?? false
        }
        return !text.isEmpty && text.split(separator: ",", omittingEmptySubsequences: false).allSatisfy(isClause)
    }

    /// `[ugoa]*` then one or more `[-+=]` each followed by `[rwxXst]*` or one of `ugo`.
    private static func isClause(_ clause: Substring) -> Bool {
        var rest = clause.drop { "ugoa".contains($0) }
        guard !rest.isEmpty else { return false }
        while let op = rest.first {
            guard "+-=".contains(op) else { return false }
            rest = rest.dropFirst()
            if let who = rest.first, "ugo".contains(who) {
                rest = rest.dropFirst()
            } else {
                rest = rest.drop { "rwxXst".contains($0) }
            }
        }
        return true
    }
}
