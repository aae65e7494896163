/// A YAML node with its place in the source: the loader's working form.
///
/// Mapping keys are plain strings (compose never uses complex keys), kept in
/// source order with their own marks so that an error about a key points at
/// the key.
public struct Node: Sendable {
    /// How a scalar is typed when printed or decoded.
    public enum Style: UInt8, Sendable {
        /// Typed by its text, as YAML 1.2's core schema does: `8080` is an
        /// integer, `true` a boolean, `~` null.
        case plain
        /// Always a string: it was quoted or a block scalar in the source,
        /// or Berth made it a string.
        case string
    }

    /// The compose-specific tags (13-merge.md).
    public enum Tag: UInt8, Sendable {
        case none
        /// `!reset`: remove the value inherited from an earlier file.
        case reset
        /// `!override`: replace the inherited value instead of merging.
        case override
        /// Not from YAML: a canonical mapping whose keys print in the order
        /// given (a port's `mode, host_ip, target, …`) instead of sorted.
        case ordered
    }

    /// One key and its value.
    public struct Entry: Sendable {
        // In this order an entry is 64 bytes; with the mark before the node it
        // was 72 (padding to align the node), 11% more for every mapping.
        public var key: String
        public var value: Node
        public var keyMark: Mark

        public init(key: String, keyMark: Mark, value: Node) {
            self.key = key
            self.keyMark = keyMark
            self.value = value
        }
    }

    public enum Value: Sendable {
        case scalar(String, Style)
        case sequence([Node])
        case mapping([Entry])
    }

    public var value: Value
    public var mark: Mark
    /// The tag in the low bits, `holdsDollar` in the top one: one byte, as a
    /// node with a separate Bool is passed in one more register everywhere
    /// (that cost 2% of a whole load).
    private var bits: UInt8

    public var tag: Tag {
        get { Tag(rawValue: bits & 0x7F) ?? .none }
        set { bits = bits & 0x80 | newValue.rawValue }
    }

    /// Set by `YAMLParser` on a node with a `$` in one of its scalars (keys
    /// too), so that interpolation walks only those parts of a parsed file:
    /// most of a large file has none. False on nodes made anywhere else.
    var holdsDollar: Bool {
        get { bits & 0x80 != 0 }
        set { bits = newValue ? bits | 0x80 : bits & 0x7F }
    }

    public init(_ value: Value, mark: Mark = .synthetic, tag: Tag = .none) {
        self.value = value
        self.mark = mark
        self.bits = tag.rawValue
    }

    /// A plain scalar (typed by its text).
    public static func plain(_ text: String, _ mark: Mark = .synthetic) -> Node {
        Node(.scalar(text, .plain), mark: mark)
    }

    /// A scalar that is always a string.
    public static func string(_ text: String, _ mark: Mark = .synthetic) -> Node {
        Node(.scalar(text, .string), mark: mark)
    }

    /// The YAML null.
    public static func null(_ mark: Mark = .synthetic) -> Node {
        Node(.scalar("null", .plain), mark: mark)
    }

    /// An integer.
    public static func int(_ value: Int, _ mark: Mark = .synthetic) -> Node {
        Node(.scalar(String(value), .plain), mark: mark)
    }

    /// A boolean.
    public static func bool(_ value: Bool, _ mark: Mark = .synthetic) -> Node {
        Node(.scalar(value ? "true" : "false", .plain), mark: mark)
    }

    /// A mapping made of keys and values in the given order.
    public static func map(_ pairs: [(String, Node)], _ mark: Mark = .synthetic) -> Node {
        Node(.mapping(pairs.map { Entry(key: $0.0, keyMark: mark, value: $0.1) }), mark: mark)
    }

    /// A sequence.
    public static func seq(_ items: [Node], _ mark: Mark = .synthetic) -> Node {
        Node(.sequence(items), mark: mark)
    }
}

extension Node {
    /// The scalar's text, or nil for a collection.
    public var scalarText: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    /// The mapping's entries, or nil.
    public var entries: [Entry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    /// The sequence's items, or nil.
    public var items: [Node]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// True for the YAML null (`null`, `~`, or nothing at all).
    public var isNull: Bool {
        if case .scalar(let text, .plain) = value { return ScalarType.isNull(text) }
        return false
    }

    /// The value under `key` in a mapping.
    public subscript(key: String) -> Node? {
        get {
            guard case .mapping(let entries) = value else { return nil }
            // An index loop compares keys in place; `first(where:)` would copy
            // (retain and release) every entry it passes.
            for i in entries.indices where entries[i].key == key {
                return entries[i].value
            }
            return nil
        }
        set {
            guard case .mapping(var entries) = value else { return }
            // Drop this node's reference first, so `entries` is the only owner
            // and changing it does not copy the whole array.
            value = .scalar("", .plain)
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append(Entry(key: key, keyMark: newValue.mark, value: newValue))
            }
            value = .mapping(entries)
        }
    }

    /// The entry for `key`, with the key's own mark.
    public func entry(_ key: String) -> Entry? {
        guard case .mapping(let entries) = value else { return nil }
        for i in entries.indices where entries[i].key == key {
            return entries[i]
        }
        return nil
    }

    /// What kind of YAML value this is, for messages ("a string", "a list").
    public var kindName: String {
        switch value {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let text, let style):
            if style == .string { return "a string" }
            switch ScalarType.resolve(text) {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .float: return "a number"
            case .string: return "a string"
            }
        }
    }
}
