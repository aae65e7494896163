/// The byte buffer the emitter writes into: raw memory grown by doubling.
///
/// An `[UInt8]` checks uniqueness and capacity on every append, and a
/// thousand services make about half a million appends; with this buffer
/// and scalars read in place, printing them went from 92M to 55M instructions.
struct Output: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    let indented: Bool
    /// Whether `$` is written as `$$` (never in keys).
    var escapeDollars: Bool
    /// Where full buffers go, when the output is streamed rather than kept.
    private let sink: ((UnsafeBufferPointer<UInt8>) -> Void)?

    init(escapeDollars: Bool, indented: Bool = true, sink: ((UnsafeBufferPointer<UInt8>) -> Void)? = nil) {
        capacity = 1 << 16
        base = .allocate(capacity: capacity)
        self.escapeDollars = escapeDollars
        self.indented = indented
        self.sink = sink
    }

    /// Hands what is buffered to the sink.
    mutating func flush() {
        guard let sink, count > 0 else { return }
        sink(UnsafeBufferPointer(start: base, count: count))
        count = 0
    }

    deinit { base.deallocate() }

    /// The bytes written, as an array.
    consuming func bytes() -> [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// The bytes written, as a string (every piece came from a valid string).
    consuming func string() -> String {
        let source = UnsafeBufferPointer(start: base, count: count)
        return String(unsafeUninitializedCapacity: count) { target in
            _ = target.initialize(fromContentsOf: source)
            return source.count
        }
    }

    /// Room for `n` more bytes.
    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { makeRoom(n) }
    }

    /// Room for `n` more bytes: by flushing when streaming, else by growing.
    private mutating func makeRoom(_ n: Int) {
        if sink != nil {
            flush()
            if n <= capacity { return }
        }
        var newCapacity = capacity * 2
        while newCapacity < count + n { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    mutating func raw(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func text(_ text: String) {
        Emitter.withUTF8(text) { append($0) }
    }

    @inline(__always)
    mutating func spaces(_ n: Int) {
        guard n > 0 else { return }
        // Eight at a time, rounded up: an indent is a few spaces, and a call to
        // memset for each of 44,000 lines cost more than the stores.
        reserve(n + 8)
        let target = UnsafeMutableRawPointer(base + count)
        var i = 0
        while i < n {
            target.storeBytes(of: 0x2020_2020_2020_2020 as UInt64, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        count += n
    }

    /// A string scalar: plain when safe, else double-quoted.
    mutating func string(_ value: String) {
        Emitter.withUTF8(value) { bytes in
            if Emitter.needsQuotes(bytes) { doubleQuoted(bytes) } else { escaped(bytes) }
        }
    }

    /// A mapping key: never interpolated, so never escaped.
    mutating func key(_ value: String, json: Bool = false) {
        let saved = escapeDollars
        escapeDollars = false
        if json { doubleQuoted(value) } else { string(value) }
        escapeDollars = saved
    }

    /// Text as is, but with `$` doubled when asked.
    mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard escapeDollars, bytes.contains(.dollar) else { return append(bytes) }
        for b in bytes {
            byte(b)
            if b == .dollar { byte(b) }
        }
    }

    mutating func doubleQuoted(_ value: String) {
        Emitter.withUTF8(value) { doubleQuoted($0) }
    }

    mutating func doubleQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        byte(.quote)
        var start = 0
        for i in 0..<utf8.count {
            let b = utf8[i]
            let escape: StaticString?
            switch b {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\t"): escape = "\\t"
            case UInt8(ascii: "\r"): escape = "\\r"
            case .dollar where escapeDollars: escape = "$$"
            case 0..<0x20, 0x7F: escape = ""
            default: escape = nil
            }
            guard let escape else { continue }
            append(UnsafeBufferPointer(rebasing: utf8[start..<i]))
            if escape.utf8CodeUnitCount > 0 {
                raw(escape)
            } else {
                // `\u00XX`, lower-case hex.
                let hex = Array(String(b, radix: 16).utf8)
                raw("\\u")
                for _ in 0..<(4 - hex.count) { byte(UInt8(ascii: "0")) }
                hex.withUnsafeBufferPointer { append($0) }
            }
            start = i + 1
        }
        append(UnsafeBufferPointer(rebasing: utf8[start...]))
        byte(.quote)
    }

    // MARK: - YAML

    mutating func yamlDocument(_ node: Node) {
        switch node.value {
        case .mapping(let entries) where !entries.isEmpty:
            yamlMapping(node, entries, indent: 0)
        case .sequence(let items) where !items.isEmpty:
            yamlSequence(items, indent: 0)
        default:
            yamlScalarOrEmpty(node)
            byte(.newline)
        }
    }

    /// The entries of a mapping, each `key:` on its own line at `indent`.
    mutating func yamlMapping(_ node: Node, _ entries: [Node.Entry], indent: Int) {
        if Emitter.inOrder(node, entries) {
            for i in entries.indices { yamlEntry(entries[i], indent: indent) }
        } else {
            for i in Emitter.sortedPositions(entries) { yamlEntry(entries[i], indent: indent) }
        }
    }

    @inline(__always)
    mutating func yamlEntry(_ e: Node.Entry, indent: Int) {
        spaces(indent)
        key(e.key)
        byte(.colon)
        yamlValue(e.value, indent: indent)
    }

    /// What follows `key:`: a scalar on the same line, a collection below.
    mutating func yamlValue(_ value: Node, indent: Int) {
        switch value.value {
        case .mapping(let entries) where !entries.isEmpty:
            byte(.newline)
            yamlMapping(value, entries, indent: indent + 2)
        case .sequence(let items) where !items.isEmpty:
            byte(.newline)
            yamlSequence(items, indent: indent + 2)
        default:
            byte(.space)
            yamlScalarOrEmpty(value)
            byte(.newline)
        }
    }

    mutating func yamlSequence(_ items: [Node], indent: Int) {
        for item in items {
            spaces(indent)
            byte(.dash)
            switch item.value {
            case .mapping(let entries) where !entries.isEmpty:
                // `- key: value` with the rest of the mapping aligned under the first key.
                byte(.space)
                if Emitter.inOrder(item, entries) {
                    for i in entries.indices { yamlItemEntry(entries[i], first: i == 0, indent: indent) }
                } else {
                    for (n, i) in Emitter.sortedPositions(entries).enumerated() {
                        yamlItemEntry(entries[i], first: n == 0, indent: indent)
                    }
                }
            case .sequence(let nested) where !nested.isEmpty:
                byte(.newline)
                yamlSequence(nested, indent: indent + 2)
            default:
                byte(.space)
                yamlScalarOrEmpty(item)
                byte(.newline)
            }
        }
    }

    @inline(__always)
    mutating func yamlItemEntry(_ e: Node.Entry, first: Bool, indent: Int) {
        if !first { spaces(indent + 2) }
        key(e.key)
        byte(.colon)
        yamlValue(e.value, indent: indent + 2)
    }

    mutating func yamlScalarOrEmpty(_ node: Node) {
        switch node.value {
        case .mapping: raw("{}")
        case .sequence: raw("[]")
        case .scalar(let value, let style):
            if style == .plain, ScalarType.resolve(value) != .string {
                if ScalarType.isNull(value) { raw("null") } else { text(value) }
            } else {
                string(value)
            }
        }
    }

    // MARK: - JSON

    mutating func jsonDocument(_ node: Node) {
        json(node, indent: 0)
        if indented { byte(.newline) }
    }

    mutating func newlineAndIndent(_ n: Int) {
        guard indented else { return }
        byte(.newline)
        spaces(n)
    }

    mutating func json(_ node: Node, indent: Int) {
        switch node.value {
        case .mapping(let entries):
            if entries.isEmpty { return raw("{}") }
            byte(UInt8(ascii: "{"))
            if Emitter.inOrder(node, entries) {
                for i in entries.indices { jsonEntry(entries[i], first: i == 0, indent: indent) }
            } else {
                for (n, i) in Emitter.sortedPositions(entries).enumerated() {
                    jsonEntry(entries[i], first: n == 0, indent: indent)
                }
            }
            newlineAndIndent(indent)
            byte(UInt8(ascii: "}"))
        case .sequence(let items):
            if items.isEmpty { return raw("[]") }
            byte(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                newlineAndIndent(indent + 2)
                json(item, indent: indent + 2)
            }
            newlineAndIndent(indent)
            byte(UInt8(ascii: "]"))
        case .scalar(let value, let style):
            guard style == .plain else { return doubleQuoted(value) }
            switch ScalarType.resolve(value) {
            case .null: raw("null")
            case .bool: ScalarType.bool(value) == true ? raw("true") : raw("false")
            case .int: text(String(ScalarType.int(value) ?? 0))
            case .float:
                // JSON has no `+1.5`, `.5` or infinities.
                if let number = ScalarType.float(value), number.isFinite {
                    text(String(number))
                } else {
                    doubleQuoted(value)
                }
            case .string: doubleQuoted(value)
            }
        }
    }

    @inline(__always)
    mutating func jsonEntry(_ e: Node.Entry, first: Bool, indent: Int) {
        if !first { byte(UInt8(ascii: ",")) }
        newlineAndIndent(indent + 2)
        key(e.key, json: true)
        byte(.colon)
        if indented { byte(.space) }
        json(e.value, indent: indent + 2)
    }
}

extension UInt8 {
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let dash = UInt8(ascii: "-")
    fileprivate static let dollar = UInt8(ascii: "$")
}
