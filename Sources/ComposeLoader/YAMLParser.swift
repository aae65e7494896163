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

    /// A node under construction.
    private struct Frame {
        var isMapping: Bool
        var mark: Mark
        var tag: Node.Tag
        var anchor: String?
        var items: [Node] = []
        var entries: [Node.Entry] = []
        var pendingKey: Node?
        var merges: [Node] = []
        var size = 1
        /// Key positions, built once a mapping is large enough for a linear scan to cost.
        var keyIndex: [String: Int]? = nil
    }

    /// Parses every document in `bytes`; an empty stream gives no documents.
    func parse(_ bytes: [UInt8]) throws(BerthError) -> [Node] {
        let fileID = files.id(for: path)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw BerthError(.yamlSyntax, "\(path): cannot initialize the YAML parser (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }

        return try bytes.withUnsafeBufferPointer { (buffer) throws(BerthError) -> [Node] in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var documents: [Node] = []
            var stack: [Frame] = []
            var anchors: [String: Node] = [:]
            var anchorSizes: [String: Int] = [:]
            var expanded = 0
            var event = yaml_event_t()

            func mark(_ m: yaml_mark_t) -> Mark {
                Mark(file: fileID, line: UInt32(m.line + 1), column: UInt32(m.column + 1))
            }
            func location(_ m: Mark) -> SourceLocation? { files.location(m) }
            func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ length: Int) -> String {
                guard let pointer else { return "" }
                return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
            }
            func cString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                guard let pointer else { return nil }
                return String(cString: pointer)
            }
            func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> (Node.Tag, forceString: Bool) {
                guard let text = cString(pointer) else { return (.none, false) }
                switch text {
                case "!reset": return (.reset, false)
                case "!override": return (.override, false)
                case "tag:yaml.org,2002:str": return (.none, true)
                default: return (.none, false)
                }
            }

            /// Adds a finished node to its parent (or to the documents).
            func add(_ node: Node, size: Int, anchor: String?) throws(BerthError) {
                if let anchor {
                    anchors[anchor] = node
                    anchorSizes[anchor] = size
                }
                guard !stack.isEmpty else {
                    documents.append(node)
                    return
                }
                let top = stack.count - 1
                stack[top].size += size
                if !stack[top].isMapping {
                    stack[top].items.append(node)
                    return
                }
                guard let key = stack[top].pendingKey else {
                    guard case .scalar(let text, let style) = node.value else {
                        throw BerthError(
                            .yamlSyntax, "a mapping key must be a plain value, not \(node.kindName)",
                            location: location(node.mark))
                    }
                    stack[top].pendingKey = Node(.scalar(text, style), mark: node.mark)
                    return
                }
                stack[top].pendingKey = nil
                let keyText = key.scalarText ?? ""
                if keyText == "<<", case .scalar(_, .plain) = key.value {
                    stack[top].merges.append(node)
                    return
                }
                if let previous = existingKey(keyText, in: &stack[top]) {
                    let first = location(stack[top].entries[previous].keyMark).map { " (first defined at \($0))" } ?? ""
                    throw BerthError(
                        .yamlSyntax, "duplicate key \"\(keyText)\"\(first)", location: location(key.mark))
                }
                stack[top].entries.append(Node.Entry(key: keyText, keyMark: key.mark, value: node))
                let position = stack[top].entries.count - 1
                if stack[top].keyIndex != nil {
                    stack[top].keyIndex?[keyText] = position
                }
            }

            func existingKey(_ key: String, in frame: inout Frame) -> Int? {
                if frame.keyIndex == nil, frame.entries.count >= 16 {
                    var index: [String: Int] = [:]
                    for (i, entry) in frame.entries.enumerated() { index[entry.key] = i }
                    frame.keyIndex = index
                }
                if let index = frame.keyIndex { return index[key] }
                return frame.entries.firstIndex { $0.key == key }
            }

            /// Applies `<<` merge keys: explicit keys win, then earlier maps over later ones.
            func applyMerges(_ frame: inout Frame) throws(BerthError) {
                var sources: [Node] = []
                for merge in frame.merges {
                    switch merge.value {
                    case .mapping: sources.append(merge)
                    case .sequence(let items):
                        for item in items {
                            guard case .mapping = item.value else {
                                throw BerthError(
                                    .yamlSyntax, "a `<<` merge list may hold only mappings, not \(item.kindName)",
                                    location: location(item.mark))
                            }
                            sources.append(item)
                        }
                    default:
                        throw BerthError(
                            .yamlSyntax, "a `<<` merge key needs a mapping or a list of mappings, not \(merge.kindName)",
                            location: location(merge.mark))
                    }
                }
                var seen = Set(frame.entries.map(\.key))
                for source in sources {
                    for entry in source.entries ?? [] where !seen.contains(entry.key) {
                        seen.insert(entry.key)
                        frame.entries.append(entry)
                    }
                }
            }

            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
                    let where_ = mark(parser.problem_mark)
                    var message = problem
                    if let context = parser.context.map({ String(cString: $0) }) {
                        let contextMark = mark(parser.context_mark)
                        message = "\(problem) (\(context) at line \(contextMark.line), column \(contextMark.column))"
                    }
                    throw BerthError(.yamlSyntax, message, location: location(where_))
                }
                defer { yaml_event_delete(&event) }
                let start = mark(event.start_mark)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return documents
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let text = string(scalar.value, scalar.length)
                    let (nodeTag, forceString) = tag(scalar.tag)
                    let quoted = scalar.style != YAML_PLAIN_SCALAR_STYLE || forceString
                    let node = Node(.scalar(text, quoted ? .string : .plain), mark: start, tag: nodeTag)
                    try add(node, size: 1, anchor: cString(scalar.anchor))
                case YAML_SEQUENCE_START_EVENT:
                    let sequence = event.data.sequence_start
                    stack.append(
                        Frame(isMapping: false, mark: start, tag: tag(sequence.tag).0, anchor: cString(sequence.anchor)))
                case YAML_MAPPING_START_EVENT:
                    let mapping = event.data.mapping_start
                    stack.append(
                        Frame(isMapping: true, mark: start, tag: tag(mapping.tag).0, anchor: cString(mapping.anchor)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard var frame = stack.popLast() else { break }
                    let node: Node
                    if frame.isMapping {
                        if !frame.merges.isEmpty { try applyMerges(&frame) }
                        node = Node(.mapping(frame.entries), mark: frame.mark, tag: frame.tag)
                    } else {
                        node = Node(.sequence(frame.items), mark: frame.mark, tag: frame.tag)
                    }
                    try add(node, size: frame.size, anchor: frame.anchor)
                case YAML_ALIAS_EVENT:
                    let name = cString(event.data.alias.anchor) ?? ""
                    guard let target = anchors[name] else {
                        throw BerthError(.yamlSyntax, "unknown anchor \"*\(name)\"", location: location(start))
                    }
                    let size = anchorSizes[name] ?? 1
                    expanded += size
                    if expanded > Self.expansionLimit {
                        throw BerthError(
                            .yamlSyntax,
                            "aliases expand this file past \(Self.expansionLimit) values (alias \"*\(name)\"); "
                                + "refusing it as a likely \"billion laughs\" file",
                            location: location(start))
                    }
                    var copy = target
                    copy.mark = start
                    try add(copy, size: size, anchor: nil)
                default:
                    break
                }
            }
        }
    }
}
