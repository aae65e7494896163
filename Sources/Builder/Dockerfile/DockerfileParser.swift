import BerthModel

/// Text → `Dockerfile`, in the order BuildKit's parser reads it: parser
/// directives at the top, comments and blank lines skipped, continuation
/// lines joined (comments and empty lines inside a continuation dropped, the
/// latter noted), heredoc bodies collected after the instruction that opens
/// them; then each instruction is checked (`InstructionParser`) and the
/// instructions are grouped into stages.
struct DockerfileParser {
    let name: String

    func parse(_ text: String) throws(BerthError) -> Dockerfile {
        var reader = LineReader(text)
        var directives = DirectiveReader(file: name)
        var notes: [DockerfileNote] = []
        var lines: [ParsedLine] = []
        while let logical = try reader.nextInstruction(directives: &directives) {
            let location = DockerfileLocation(file: name, line: logical.start, endLine: logical.end)
            if logical.hadEmptyContinuation {
                notes.append(DockerfileNote(location, "empty continuation line (a future Docker release refuses it)"))
            }
            var raw = try RawInstruction(logical.text, location: location, escape: directives.escape)
            if raw.acceptsHeredocs, raw.text.contains("<<") {
                let opened = try HeredocWords.find(in: raw.text, location: location, keyword: raw.keyword)
                raw.heredocs = try reader.readHeredocs(opened, location: location, keyword: raw.keyword)
                raw.location.endLine = reader.lineNumber
            }
            lines.append(try InstructionParser(escape: directives.escape).parse(raw))
        }
        notes.insert(contentsOf: directives.notes, at: 0)
        return try assemble(lines, directives: directives, notes: notes)
    }

    /// One instruction on its own: an `ONBUILD` trigger stored in an image,
    /// parsed when a stage is built on that image.
    func parseTrigger(_ text: String) throws(BerthError) -> Instruction {
        var reader = LineReader(text)
        var directives = DirectiveReader(file: name)
        guard let logical = try reader.nextInstruction(directives: &directives) else {
            throw BerthError(.invalidDockerfile, "the trigger is empty")
        }
        var raw = try RawInstruction(
            logical.text, location: DockerfileLocation(file: name, line: logical.start), escape: "\\")
        if raw.acceptsHeredocs, raw.text.contains("<<") {
            let opened = try HeredocWords.find(in: raw.text, location: raw.location, keyword: raw.keyword)
            raw.heredocs = try reader.readHeredocs(opened, location: raw.location, keyword: raw.keyword)
        }
        guard case .instruction(let instruction) = try InstructionParser(escape: "\\").parse(raw),
            try reader.nextInstruction(directives: &directives) == nil
        else {
            throw BerthError(.invalidDockerfile, "a trigger is one instruction other than FROM")
        }
        return instruction
    }

    /// Groups the instructions into the global `ARG`s and the stages.
    private func assemble(
        _ lines: [ParsedLine], directives: DirectiveReader, notes: [DockerfileNote]
    ) throws(BerthError) -> Dockerfile {
        var dockerfile = Dockerfile(
            name: name, escape: directives.escape, syntax: directives.syntax, notes: notes, globalArgs: [], stages: [])
        guard !lines.isEmpty else {
            throw BerthError(.invalidDockerfile, "\(name): the file has no instructions")
        }
        for line in lines {
            let instruction: Instruction
            switch line {
            case .from(let from):
                dockerfile.stages.append(
                    Stage(
                        index: dockerfile.stages.count, name: from.name, base: from.base, platform: from.platform,
                        location: from.location, text: from.text, instructions: []))
                continue
            case .instruction(let parsed):
                instruction = parsed
            }
            guard !dockerfile.stages.isEmpty else {
                if case .arg = instruction.command {
                    dockerfile.globalArgs.append(instruction)
                    continue
                }
                throw .dockerfile(
                    instruction.location, instruction.keyword, "only ARG may come before the first FROM")
            }
            if case .maintainer = instruction.command {
                dockerfile.notes.append(
                    DockerfileNote(instruction.location, "MAINTAINER is deprecated; it sets the image's author"))
            }
            dockerfile.stages[dockerfile.stages.count - 1].instructions.append(instruction)
        }
        guard !dockerfile.stages.isEmpty else {
            throw BerthError(.invalidDockerfile, "\(name): there is no FROM, so no stage to build")
        }
        return dockerfile
    }
}

/// A logical line: one instruction's text with its continuations joined.
struct LogicalLine {
    var text: String
    var start: Int
    var end: Int
    var hadEmptyContinuation: Bool
}

/// The file's lines, read one logical line at a time.
struct LineReader {
    /// Each line with its line break, if it had one.
    private var lines: [String] = []
    private var next = 0

    init(_ text: String) {
        var bytes = Array(text.utf8)
        // A byte-order mark before the first line is not part of it.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var start = 0
        for (offset, byte) in bytes.enumerated() where byte == 0x0A {
            lines.append(String(decoding: bytes[start...offset], as: UTF8.self))
            start = offset + 1
        }
        if start < bytes.count { lines.append(String(decoding: bytes[start...], as: UTF8.self)) }
    }

    /// The 1-based number of the last line read.
    var lineNumber: Int { next }

    /// The next instruction's text, or nil at the end of the file.
    mutating func nextInstruction(directives: inout DirectiveReader) throws(BerthError) -> LogicalLine? {
        while next < lines.count {
            let first = Self.withoutLineBreak(lines[next]).trimmingLeadingWhitespace
            next += 1
            try directives.read(first, line: next)
            let start = next
            var (text, ends) = Self.isComment(first) ? ("", true) : Self.continuation(first, escape: directives.escape)
            if ends && text.isEmpty { continue }
            var empty = false
            while !ends && next < lines.count {
                let line = Self.withoutLineBreak(lines[next])
                next += 1
                try directives.read(line, line: next)
                if Self.isComment(line) { continue }
                if line.trimmingLeadingWhitespace.isEmpty {
                    empty = true
                    continue
                }
                let (part, last) = Self.continuation(line, escape: directives.escape)
                text += part
                ends = last
            }
            return LogicalLine(text: text, start: start, end: next, hadEmptyContinuation: empty)
        }
        return nil
    }

    /// Reads the bodies of `heredocs`, in order, from the lines that follow.
    mutating func readHeredocs(
        _ heredocs: [Heredoc], location: DockerfileLocation, keyword: String
    ) throws(BerthError) -> [Heredoc] {
        var read: [Heredoc] = []
        for var heredoc in heredocs {
            var content = ""
            var terminated = false
            while next < lines.count {
                let line = lines[next]
                next += 1
                var candidate = Substring(Self.withoutLineBreak(line))
                if heredoc.stripsTabs { candidate = candidate.drop { $0 == "\t" } }
                if candidate == heredoc.name {
                    terminated = true
                    break
                }
                content += line
            }
            guard terminated else {
                throw .dockerfile(
                    location, keyword, "the heredoc <<\(heredoc.name) is never closed by a line \(heredoc.name)")
            }
            heredoc.content = content
            read.append(heredoc)
        }
        return read
    }

    static func withoutLineBreak(_ line: String) -> String {
        var scalars = Substring(line).unicodeScalars
        while let last = scalars.last, last == "\n" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }

    static func isComment(_ line: String) -> Bool {
        line.trimmingLeadingWhitespace.hasPrefix("#")
    }

    /// The line without a trailing escape (and the blanks after it), and
    /// whether the instruction ends here. An escaped escape at the end
    /// (`\\`) does not continue the line.
    static func continuation(_ line: String, escape: Unicode.Scalar) -> (String, Bool) {
        var scalars = Array(line.unicodeScalars)
        var end = scalars.count
        while end > 0, scalars[end - 1] == " " || scalars[end - 1] == "\t" { end -= 1 }
        guard end > 0, scalars[end - 1] == escape else { return (line, true) }
        if end >= 2, scalars[end - 2] == escape { return (line, true) }
        scalars.removeSubrange((end - 1)...)
        return (String(String.UnicodeScalarView(scalars)), false)
    }
}

extension String {
    /// Without the whitespace at its start (Go's `unicode.IsSpace`).
    var trimmingLeadingWhitespace: String {
        String(unicodeScalars.drop { $0.properties.isWhitespace })
    }
}
