import BerthModel
import CYAML

/// Turns YAML text into `Node` trees with libyaml's event API.
///
/// Building our own tree (instead of libyaml's document API) keeps every
/// value's file:line:col, lets `<<` merge keys and compose's `!reset` and
/// `!override` tags be handled in one place, and lets alias expansion be
/// counted so that a "billion laughs" file is refused at once.
struct YAMLParser {
    /// How many nodes a file may expand to through aliases. A real compose
    /// file of a thousand services stays far below; a billion-laughs file
    /// crosses it within a few aliases.
    static let expansionLimit = 2_000_000

    let files: SourceFiles
    let path: String

    init(files: SourceFiles, path: String) {
        self.files = files
        self.path = path
    }

    /// Parses every document in `bytes`; an empty stream gives no documents.
    func parse(_ bytes: [UInt8]) throws(BerthError) -> [Node] {
        var sawMergeTags = false
        return try parse(bytes, sawMergeTags: &sawMergeTags)
    }

    /// libyaml's error, where it is, with its context. A quote never closed
    /// is noticed at the end of the file; it is reported where it opens,
    /// the place to fix.
    func syntaxError(problem: String?, at problemMark: Mark, context: String?, at contextMark: Mark) -> BerthError {
        let problem = problem ?? "malformed YAML"
        guard let context else { return BerthError(.yamlSyntax, problem, location: files.location(problemMark)) }
        if context == "while scanning a quoted scalar",
            problem == "found unexpected end of stream" || problem == "found unexpected document indicator"
        {
            return BerthError(
                .yamlSyntax, "unclosed quote: \(problem) (at line \(problemMark.line), column \(problemMark.column))",
                location: files.location(contextMark))
        }
        return BerthError(
            .yamlSyntax, "\(problem) (\(context) at line \(contextMark.line), column \(contextMark.column))",
            location: files.location(problemMark))
    }

    /// `parse`, also telling whether a `!reset` or `!override` tag occurs: when
    /// none does, the loader need not walk the tree to take them off.
    func parse(_ bytes: [UInt8], sawMergeTags: inout Bool) throws(BerthError) -> [Node] {
        let fileID = files.id(for: path)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw BerthError(.yamlSyntax, "\(path): cannot initialize the YAML parser (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }

        return try bytes.withUnsafeBufferPointer { (buffer) throws(BerthError) -> [Node] in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var tree = TreeBuilder(files: files)
            var event = yaml_event_t()

            func mark(_ m: yaml_mark_t) -> Mark {
                Mark(file: fileID, line: UInt32(m.line + 1), column: UInt32(m.column + 1))
            }
            func cString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                guard let pointer else { return nil }
                return String(cString: pointer)
            }
            func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> (Node.Tag, forceString: Bool) {
                guard let text = cString(pointer) else { return (.none, false) }
                switch text {
                case "!reset":
                    sawMergeTags = true
                    return (.reset, false)
                case "!override":
                    sawMergeTags = true
                    return (.override, false)
                case "tag:yaml.org,2002:str": return (.none, true)
                default: return (.none, false)
                }
            }

            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw syntaxError(
                        problem: parser.problem.map { String(cString: $0) }, at: mark(parser.problem_mark),
                        context: parser.context.map { String(cString: $0) }, at: mark(parser.context_mark))
                }
                defer { yaml_event_delete(&event) }
                let start = mark(event.start_mark)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return tree.takeDocuments()
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let bytes = UnsafeBufferPointer(start: scalar.value, count: scalar.value == nil ? 0 : scalar.length)
                    let (nodeTag, forceString) = tag(scalar.tag)
                    let quoted = scalar.style != YAML_PLAIN_SCALAR_STYLE || forceString
                    var node = Node(
                        .scalar(String(decoding: bytes, as: UTF8.self), quoted ? .string : .plain), mark: start,
                        tag: nodeTag)
                    node.holdsDollar = bytes.contains(UInt8(ascii: "$"))
                    try tree.add(node, size: 1, anchor: cString(scalar.anchor))
                case YAML_SEQUENCE_START_EVENT:
                    let sequence = event.data.sequence_start
                    tree.open(mapping: false, mark: start, tag: tag(sequence.tag).0, anchor: cString(sequence.anchor))
                case YAML_MAPPING_START_EVENT:
                    let mapping = event.data.mapping_start
                    tree.open(mapping: true, mark: start, tag: tag(mapping.tag).0, anchor: cString(mapping.anchor))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    try tree.close()
                case YAML_ALIAS_EVENT:
                    try tree.alias(cString(event.data.alias.anchor) ?? "", mark: start)
                default:
                    break
                }
            }
        }
    }
}
