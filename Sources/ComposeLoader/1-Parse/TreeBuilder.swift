import BerthModel

/// Builds `Node` trees from parser events: collections open and close,
/// values are added to the innermost open one.
///
/// The values of all open collections wait on two shared stacks (sequence
/// items, mapping entries); a closing collection moves its own off the top
/// into an array of exactly their number. Growing a small array per
/// collection, element by element, cost about 9M instructions on a
/// thousand services, most of the builder's own time.
struct TreeBuilder: ~Copyable {
    /// What a frame collects.
    private enum Kind { case documents, sequence, mapping }

    /// A collection still open (or the stream, collecting documents).
    private struct Frame {
        var kind: Kind
        var mark: Mark
        var tag: Node.Tag
        var anchor: String?
        /// Where its values begin on `items` or `entries`.
        var start: Int
        /// A mapping's key waiting for its value.
        var key: String?
        var keyIsPlain = false
        var keyMark = Mark.synthetic
        var merges: [Node] = []
        /// Nodes it expands to, for the alias limit.
        var size = 1
        var holdsDollar = false
        /// Key positions on `entries`, built once a mapping is large enough for a linear scan to cost.
        var keyIndex: [String: Int]? = nil
    }

    private let files: SourceFiles
    /// The innermost frame, kept apart from `outer` so that adding a value
    /// changes a stored property rather than an array element (each of
    /// those checked the array's uniqueness, 50,000 times on a thousand services).
    private var current = Frame(kind: .documents, mark: .synthetic, tag: .none, start: 0)
    private var outer: [Frame] = []
    private var items = ValueStack<Node>()
    private var entries = ValueStack<Node.Entry>()
    private var anchors: [String: (node: Node, size: Int)] = [:]
    private var expanded = 0

    init(files: SourceFiles) {
        self.files = files
    }

    /// The documents read so far.
    mutating func takeDocuments() -> [Node] {
        guard case .documents = current.kind else { return [] }
        return items.popArray(from: current.start)
    }

    mutating func open(mapping: Bool, mark: Mark, tag: Node.Tag, anchor: String?) {
        var frame = Frame(
            kind: mapping ? .mapping : .sequence, mark: mark, tag: tag, anchor: anchor,
            start: mapping ? entries.count : items.count)
        // Swapped, not copied: a copy retains the frame's strings and arrays.
        swap(&current, &frame)
        outer.append(frame)
    }

    /// Ends the innermost collection and adds it to its parent.
    mutating func close() throws(BerthError) {
        guard current.kind != .documents, var frame = outer.popLast() else { return }
        swap(&current, &frame)
        var node: Node
        if frame.kind == .mapping {
            if !frame.merges.isEmpty { try applyMerges(&frame) }
            node = Node(.mapping(entries.popArray(from: frame.start)), mark: frame.mark, tag: frame.tag)
        } else {
            node = Node(.sequence(items.popArray(from: frame.start)), mark: frame.mark, tag: frame.tag)
        }
        node.holdsDollar = frame.holdsDollar
        try add(node, size: frame.size, anchor: frame.anchor)
    }

    /// A copy of an anchored node, at the alias's place.
    mutating func alias(_ name: String, mark: Mark) throws(BerthError) {
        guard let (target, size) = anchors[name] else {
            throw BerthError(.yamlSyntax, "unknown anchor \"*\(name)\"", location: files.location(mark))
        }
        expanded += size
        if expanded > YAMLParser.expansionLimit {
            throw BerthError(
                .yamlSyntax,
                "aliases expand this file past \(YAMLParser.expansionLimit) values (alias \"*\(name)\"); "
                    + "refusing it as a likely \"billion laughs\" file",
                location: files.location(mark))
        }
        var copy = target
        copy.mark = mark
        try add(copy, size: size, anchor: nil)
    }

    /// Adds a finished node to its parent (or to the documents).
    mutating func add(_ node: consuming Node, size: Int, anchor: String?) throws(BerthError) {
        if let anchor { anchors[anchor] = (node, size) }
        switch current.kind {
        case .documents:
            items.push(node)
            return
        case .sequence:
            current.size += size
            if node.holdsDollar { current.holdsDollar = true }
            items.push(node)
            return
        case .mapping:
            current.size += size
        }
        guard let key = current.key else {
            guard case .scalar(let text, let style) = node.value else {
                throw BerthError(
                    .yamlSyntax, "a mapping key must be a plain value, not \(node.kindName)",
                    location: files.location(node.mark))
            }
            current.key = text
            current.keyIsPlain = style == .plain
            current.keyMark = node.mark
            return
        }
        current.key = nil
        let keyMark = current.keyMark
        if key == "<<" && current.keyIsPlain {
            current.merges.append(node)
            return
        }
        if let previous = existingKey(key) {
            let first = files.location(entries[previous].keyMark).map { " (first defined at \($0))" } ?? ""
            throw BerthError(.yamlSyntax, "duplicate key \"\(key)\"\(first)", location: files.location(keyMark))
        }
        if node.holdsDollar { current.holdsDollar = true }
        if current.keyIndex != nil { current.keyIndex?[key] = entries.count }
        entries.push(Node.Entry(key: key, keyMark: keyMark, value: node))
    }

    /// Where on `entries` the innermost mapping already has `key`.
    private mutating func existingKey(_ key: String) -> Int? {
        let start = current.start
        if current.keyIndex == nil, entries.count - start >= 16 {
            var index: [String: Int] = [:]
            for i in start..<entries.count { index[entries[i].key] = i }
            current.keyIndex = index
        }
        if let index = current.keyIndex { return index[key] }
        for i in start..<entries.count where entries[i].key == key { return i }
        return nil
    }

    /// Applies `<<` merge keys: explicit keys win, then earlier maps over later ones.
    /// Only the entries merged in count for `holdsDollar`: a service merging a
    /// shared block whose `$` it overrides has nothing to interpolate.
    private mutating func applyMerges(_ frame: inout Frame) throws(BerthError) {
        var sources: [Node] = []
        for merge in frame.merges {
            switch merge.value {
            case .mapping: sources.append(merge)
            case .sequence(let list):
                for item in list {
                    guard case .mapping = item.value else {
                        throw BerthError(
                            .yamlSyntax, "a `<<` merge list may hold only mappings, not \(item.kindName)",
                            location: files.location(item.mark))
                    }
                    sources.append(item)
                }
            default:
                throw BerthError(
                    .yamlSyntax, "a `<<` merge key needs a mapping or a list of mappings, not \(merge.kindName)",
                    location: files.location(merge.mark))
            }
        }
        var seen: Set<String>? = nil
        if entries.count - frame.start > 16 {
            seen = Set((frame.start..<entries.count).map { entries[$0].key })
        }
        for source in sources {
            for entry in source.entries ?? [] {
                if seen != nil {
                    guard seen?.insert(entry.key).inserted == true else { continue }
                } else if (frame.start..<entries.count).contains(where: { entries[$0].key == entry.key }) {
                    continue
                }
                if entry.value.holdsDollar { frame.holdsDollar = true }
                entries.push(entry)
            }
        }
    }
}
