import BerthModel

/// A `FROM` line: it opens a stage rather than adding to one.
struct FromLine {
    var base: String
    var name: String?
    var platform: String?
    var location: DockerfileLocation
    var text: String
}

/// What one line of a Dockerfile is.
enum ParsedLine {
    case from(FromLine)
    case instruction(Instruction)
}

/// One raw instruction → a checked `Instruction`, with each instruction's
/// own rules for its arguments and flags (BuildKit's, except where noted).
struct InstructionParser {
    let escape: Unicode.Scalar

    static let keywords = [
        "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label", "maintainer",
        "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
    ]

    func parse(_ raw: RawInstruction) throws(BerthError) -> ParsedLine {
        let keyword = raw.keyword.lowercased()
        if keyword == "from" { return .from(try parseFrom(raw)) }
        let command: Command
        switch keyword {
        case "arg": command = .arg(try parseArg(raw))
        case "env": command = .env(try keyValues(raw))
        case "label": command = .label(try keyValues(raw))
        case "maintainer": command = .maintainer(try oneArgument(raw))
        case "run": command = .run(try parseRun(raw))
        case "cmd": command = .cmd(try commandForm(raw))
        case "entrypoint": command = .entrypoint(try commandForm(raw))
        case "shell": command = .shell(try parseShell(raw))
        case "copy": command = .copy(try parseFileCopy(raw, isAdd: false))
        case "add": command = .add(try parseFileCopy(raw, isAdd: true))
        case "workdir": command = .workdir(try oneArgument(raw))
        case "user": command = .user(try oneArgument(raw))
        case "stopsignal": command = .stopSignal(try oneArgument(raw))
        case "volume": command = .volume(try parseVolume(raw))
        case "expose": command = .expose(try parseExpose(raw))
        case "healthcheck": command = .healthcheck(try parseHealthcheck(raw))
        case "onbuild": command = try parseOnBuild(raw)
        default: throw unknownInstruction(raw)
        }
        return .instruction(instruction(raw, command))
    }

    private func instruction(_ raw: RawInstruction, _ command: Command) -> Instruction {
        Instruction(location: raw.location, keyword: raw.keyword.uppercased(), text: raw.text, command: command)
    }

    private func unknownInstruction(_ raw: RawInstruction) -> BerthError {
        var message = "unknown instruction"
        if let close = Suggest.closest(to: raw.keyword, in: Self.keywords) {
            message += "; did you mean \(close.uppercased())?"
        }
        return .dockerfile(raw.location, raw.keyword, message)
    }

    /// Checks `raw`'s flags against those the instruction accepts.
    func flags(_ raw: RawInstruction, _ accepted: [String: FlagSet.Kind] = [:]) throws(BerthError) -> FlagSet {
        try FlagSet(raw.flags, accepted: accepted, location: raw.location, keyword: raw.keyword)
    }

    private func parseFrom(_ raw: RawInstruction) throws(BerthError) -> FromLine {
        let flags = try flags(raw, ["platform": .string])
        let words = raw.arguments.blankSeparatedWords
        let platform = flags.string("platform")
        switch words.count {
        case 1:
            return FromLine(base: words[0], name: nil, platform: platform, location: raw.location, text: raw.text)
        case 3 where words[1].lowercased() == "as":
            let name = words[2].lowercased()
            guard Self.isStageName(name) else {
                throw .dockerfile(
                    raw.location, raw.keyword,
                    "invalid stage name \"\(words[2])\": it must begin with a letter and hold only letters, digits, -, _ and ."
                )
            }
            return FromLine(base: words[0], name: name, platform: platform, location: raw.location, text: raw.text)
        default:
            throw .dockerfile(
                raw.location, raw.keyword, "expected an image and an optional AS name: FROM image [AS name]")
        }
    }

    /// `[a-z][a-z0-9-_.]*`, once lowercased.
    static func isStageName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || $0.isASCIIDigit || "-_.".unicodeScalars.contains($0)
        }
    }

    private func parseArg(_ raw: RawInstruction) throws(BerthError) -> [ArgDeclaration] {
        _ = try flags(raw)
        let words = quotedWords(raw.arguments)
        guard !words.isEmpty else { throw .dockerfile(raw.location, raw.keyword, "needs at least one name") }
        var declarations: [ArgDeclaration] = []
        for word in words {
            guard let equals = word.firstIndex(of: "=") else {
                declarations.append(ArgDeclaration(name: word, defaultValue: nil))
                continue
            }
            guard equals != word.startIndex else {
                throw .dockerfile(raw.location, raw.keyword, "a name cannot be empty")
            }
            declarations.append(
                ArgDeclaration(name: String(word[..<equals]), defaultValue: String(word[word.index(after: equals)...])))
        }
        return declarations
    }

    /// `ENV`/`LABEL`: `key=value …`, or the legacy `KEY value with spaces`
    /// when the first word has no `=`.
    private func keyValues(_ raw: RawInstruction) throws(BerthError) -> [KeyValue] {
        _ = try flags(raw)
        let words = quotedWords(raw.arguments)
        guard let first = words.first else {
            throw .dockerfile(raw.location, raw.keyword, "needs at least one key=value")
        }
        guard first.contains("=") else {
            let scalars = Array(raw.arguments.unicodeScalars)
            guard let blank = scalars.firstIndex(where: \.isBlank) else {
                throw .dockerfile(raw.location, raw.keyword, "\(first) has no value: write \(first)=value")
            }
            var valueStart = blank
            while valueStart < scalars.count, scalars[valueStart].isBlank { valueStart += 1 }
            let key = String(String.UnicodeScalarView(scalars[..<blank]))
            let value = String(String.UnicodeScalarView(scalars[valueStart...]))
            return [KeyValue(key: key, value: value, isLegacy: true)]
        }
        var pairs: [KeyValue] = []
        for word in words {
            guard let equals = word.firstIndex(of: "=") else {
                throw .dockerfile(raw.location, raw.keyword, "\(word) has no =: write name=value")
            }
            guard equals != word.startIndex else {
                throw .dockerfile(raw.location, raw.keyword, "a name cannot be empty")
            }
            pairs.append(KeyValue(key: String(word[..<equals]), value: String(word[word.index(after: equals)...])))
        }
        return pairs
    }

    /// The whole argument text as one word (`WORKDIR`, `USER`, `STOPSIGNAL`, `MAINTAINER`).
    private func oneArgument(_ raw: RawInstruction) throws(BerthError) -> String {
        _ = try flags(raw)
        guard !raw.arguments.isEmpty else { throw .dockerfile(raw.location, raw.keyword, "needs exactly one argument") }
        return raw.arguments
    }

    private func parseVolume(_ raw: RawInstruction) throws(BerthError) -> [String] {
        _ = try flags(raw)
        let words = try jsonOrWords(raw)
        guard !words.isEmpty else { throw .dockerfile(raw.location, raw.keyword, "needs at least one path") }
        return try words.map { (word: String) throws(BerthError) -> String in
            let path = word.trimmingBlanks
            guard !path.isEmpty else { throw .dockerfile(raw.location, raw.keyword, "a volume path cannot be empty") }
            return path
        }
    }

    private func parseExpose(_ raw: RawInstruction) throws(BerthError) -> [String] {
        _ = try flags(raw)
        let words = raw.arguments.blankSeparatedWords
        guard !words.isEmpty else { throw .dockerfile(raw.location, raw.keyword, "needs at least one port") }
        return words.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private func parseOnBuild(_ raw: RawInstruction) throws(BerthError) -> Command {
        _ = try flags(raw)
        guard !raw.arguments.isEmpty else {
            throw .dockerfile(raw.location, raw.keyword, "needs an instruction to run later")
        }
        var trigger = try RawInstruction(raw.arguments, location: raw.location, escape: escape)
        trigger.heredocs = raw.heredocs
        switch trigger.keyword.lowercased() {
        case "onbuild": throw .dockerfile(raw.location, raw.keyword, "ONBUILD ONBUILD is not allowed")
        case "from", "maintainer":
            throw .dockerfile(raw.location, raw.keyword, "\(trigger.keyword.uppercased()) is not allowed as a trigger")
        default: break
        }
        guard case .instruction(let instruction) = try parse(trigger) else {
            throw .dockerfile(raw.location, raw.keyword, "FROM is not allowed as a trigger")
        }
        // The trigger as stored in the image: the line without ONBUILD, and
        // each heredoc's body and delimiter after it.
        var expression = raw.arguments
        for heredoc in raw.heredocs { expression += "\n" + heredoc.content + heredoc.name }
        return .onbuild(trigger: expression, instruction: instruction)
    }

    /// A JSON array of strings, or the text split at blanks.
    func jsonOrWords(_ raw: RawInstruction) throws(BerthError) -> [String] {
        if let strings = try json(raw) { return strings }
        return raw.arguments.blankSeparatedWords
    }

    /// The arguments as a JSON array of strings, nil when they are not one.
    func json(_ raw: RawInstruction) throws(BerthError) -> [String]? {
        do {
            return try JSONArray.strings(raw.arguments)
        } catch {
            throw .dockerfile(raw.location, raw.keyword, error.message)
        }
    }

    /// Words separated by blanks, where quotes group and the escape joins;
    /// quotes and escapes stay in the words for expansion to process.
    func quotedWords(_ text: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Unicode.Scalar?
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            if let open = quote {
                if scalar == open {
                    quote = nil
                } else if scalar == escape, open != "'" {
                    word.unicodeScalars.append(scalar)
                    guard let escaped = scalars.next() else { break }
                    word.unicodeScalars.append(escaped)
                    continue
                }
                word.unicodeScalars.append(scalar)
                continue
            }
            if scalar.properties.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
                continue
            }
            inWord = true
            if scalar == "'" || scalar == "\"" { quote = scalar }
            if scalar == escape {
                guard let escaped = scalars.next() else { break }
                word.unicodeScalars.append(scalar)
                word.unicodeScalars.append(escaped)
                continue
            }
            word.unicodeScalars.append(scalar)
        }
        if inWord { words.append(word) }
        return words
    }
}
