import BerthModel

/// The key sequence that leaves an attached session with its process still
/// running, in docker's notation: comma-separated keys, each a single
/// character or `ctrl-<c>` (`ctrl-a`…`ctrl-z`, `ctrl-@`, `ctrl-[`,
/// `ctrl-\`, `ctrl-]`, `ctrl-^`, `ctrl-_`). The default is `ctrl-p,ctrl-q`.
public struct DetachKeys: Sendable, Hashable {
    /// The bytes the terminal sends for the sequence.
    public let bytes: [UInt8]

    /// Docker's default, `ctrl-p,ctrl-q`.
    public static let standard = DetachKeys(bytes: [0x10, 0x11])

    /// A sequence of these bytes (not empty).
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses docker's notation; an unknown key is a usage error naming it.
    public init(parsing text: String) throws(BerthError) {
        var bytes: [UInt8] = []
        for key in text.split(separator: ",", omittingEmptySubsequences: false) {
            let lowered = key.lowercased()
            if lowered.hasPrefix("ctrl-"), key.count == 6, let c = lowered.utf8.last {
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(c - UInt8(ascii: "a") + 1)
                case UInt8(ascii: "@"): bytes.append(0)
                case UInt8(ascii: "["): bytes.append(27)
                case UInt8(ascii: "\\"): bytes.append(28)
                case UInt8(ascii: "]"): bytes.append(29)
                case UInt8(ascii: "^"): bytes.append(30)
                case UInt8(ascii: "_"): bytes.append(31)
                default: throw Self.invalid(text, key)
                }
            } else if key.utf8.count == 1, let c = key.utf8.first {
                bytes.append(c)
            } else {
                throw Self.invalid(text, key)
            }
        }
        guard !bytes.isEmpty else { throw Self.invalid(text, "") }
        self.bytes = bytes
    }

    private static func invalid(_ text: String, _ key: Substring) -> BerthError {
        BerthError(
            .usage,
            "--detach-keys \"\(text)\": \"\(key)\" is not a key (a character, or ctrl- and a letter or one of @[\\]^_)")
    }
}

/// Watches input for the detach sequence, as keys may arrive one per read
/// or split across reads: bytes that might begin the sequence are held
/// back until the next byte says whether they do.
public struct DetachKeyMatcher: Sendable {
    private let keys: [UInt8]
    /// Bytes held back: a proper prefix of `keys`.
    private var held: [UInt8] = []

    /// A matcher for `keys`.
    public init(_ keys: DetachKeys) {
        self.keys = keys.bytes
    }

    /// What to pass on of `bytes`, and whether the sequence was completed
    /// (what follows it in `bytes` is dropped, as docker does).
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> (forward: [UInt8], detached: Bool) {
        var forward: [UInt8] = []
        for byte in bytes {
            held.append(byte)
            // Drop from the front until what is held could still begin the sequence.
            while !held.isEmpty && !keys.starts(with: held) {
                forward.append(held.removeFirst())
            }
            if held.count == keys.count {
                held = []
                return (forward, true)
            }
        }
        return (forward, false)
    }

    /// The bytes held back, given up on (the input ended).
    public mutating func flush() -> [UInt8] {
        defer { held = [] }
        return held
    }
}
