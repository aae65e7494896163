import BerthModel

/// One `RUN --mount=` after expansion: `type=cache,target=/root/.cache`, …
///
/// The value is a CSV record of `key=value` fields (a field may be quoted
/// to hold a comma); `ro`, `rw` and `required` may stand alone. Defaults are
/// BuildKit's: type `bind`, read-only for `bind` and `secret`, writable for
/// `cache` and `tmpfs`, sharing `shared`.
public struct RunMount: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case bind, cache, tmpfs, secret, ssh
    }

    /// How concurrent builds share a cache mount.
    public enum Sharing: String, Hashable, Sendable, CaseIterable {
        case shared, `private`, locked
    }

    public var kind: Kind = .bind
    /// `from=`: a stage, an image, or nil for the build context (bind) or an empty directory (cache).
    public var from: String?
    /// `source=`/`src=`: the path inside `from` (bind, cache), or the secret's id.
    public var source: String?
    /// `target=`/`dst=`/`destination=` as written; `StagePlanner` makes it absolute.
    public var target: String?
    public var readOnly = true
    /// `size=` of a tmpfs, in bytes.
    public var sizeLimit: Int64?
    /// `id=`: the cache's or the secret's id.
    public var id: String?
    public var sharing: Sharing = .shared
    /// `required`: a missing secret fails the step instead of being skipped.
    public var required = false
    /// `env=`: the secret is also (or only) given as this environment variable.
    public var env: String?
    /// `mode=` (octal), `uid=`, `gid=` of a cache directory or a secret file.
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(kind: Kind = .bind) {
        self.kind = kind
        readOnly = kind == .bind || kind == .secret || kind == .ssh
    }

    /// The value of `key` in an unexpanded `--mount` spec, if it is there.
    static func field(_ key: String, in spec: String) -> String? {
        for field in (try? CSVRecord.fields(spec)) ?? [] {
            let (name, value) = Variables.split(field)
            if name.lowercased() == key, field.contains("=") { return value }
        }
        return nil
    }

    /// Parses the fields of a spec, values already expanded.
    static func parse(fields: [String]) throws(WordError) -> RunMount {
        var mount = RunMount()
        var readOnlyGiven = false
        for field in fields {
            let hasValue = field.contains("=")
            var (key, value) = Variables.split(field)
            key = key.lowercased()
            if !hasValue {
                switch key {
                case "readonly", "ro": value = "true"
                case "readwrite", "rw": value = "true"
                case "required": value = "true"
                default: throw WordError(message: "invalid field '\(field)': it must be a key=value pair")
                }
            }
            if key == "readonly" || key == "ro" || key == "readwrite" || key == "rw" { readOnlyGiven = true }
            try mount.set(key, value)
        }
        if !readOnlyGiven { mount.readOnly = !(mount.kind == .cache || mount.kind == .tmpfs) }
        try mount.validate()
        return mount
    }

    private mutating func set(_ key: String, _ value: String) throws(WordError) {
        switch key {
        case "type":
            guard let kind = Kind(rawValue: value.lowercased()) else {
                throw WordError(
                    message: "unsupported mount type \"\(value)\"\(Self.hint(value, Kind.allCases.map(\.rawValue)))")
            }
            self.kind = kind
        case "from": from = value
        case "source", "src": source = value
        case "target", "dst", "destination": target = value
        case "readonly", "ro": readOnly = try Self.bool(key, value)
        case "readwrite", "rw": readOnly = !(try Self.bool(key, value))
        case "required":
            guard kind == .secret || kind == .ssh else {
                throw WordError(message: "required is only for secret and ssh mounts")
            }
            required = try Self.bool(key, value)
        case "size":
            guard kind == .tmpfs else { throw WordError(message: "size is only for tmpfs mounts") }
            guard let bytes = ByteSize.parse(value) else { throw WordError(message: "invalid size \(value)") }
            sizeLimit = bytes
        case "id": id = value
        case "sharing":
            guard let sharing = Sharing(rawValue: value.lowercased()) else {
                throw WordError(
                    message: "unsupported sharing \"\(value)\"\(Self.hint(value, Sharing.allCases.map(\.rawValue)))")
            }
            self.sharing = sharing
        case "mode":
            guard let mode = UInt32(value, radix: 8) else {
                throw WordError(message: "invalid mode \(value) (octal expected)")
            }
            self.mode = mode
        case "uid": uid = try Self.number(key, value)
        case "gid": gid = try Self.number(key, value)
        case "env": env = value
        default:
            let keys = [
                "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode",
                "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
            ]
            throw WordError(message: "unknown key '\(key)'\(Self.hint(key, keys))")
        }
    }

    private func validate() throws(WordError) {
        if kind != .secret && kind != .ssh && kind != .cache {
            if mode != nil { throw WordError(message: "mode is not allowed for \(kind) mounts") }
            if uid != nil { throw WordError(message: "uid is not allowed for \(kind) mounts") }
            if gid != nil { throw WordError(message: "gid is not allowed for \(kind) mounts") }
        }
        if kind == .secret {
            if from != nil { throw WordError(message: "a secret mount takes no from") }
            if source == nil && target == nil && id == nil {
                throw WordError(message: "a secret mount needs an id or a target")
            }
            if source != nil && id != nil { throw WordError(message: "a secret mount takes source or id, not both") }
        }
        if kind != .cache && sharing != .shared { throw WordError(message: "sharing is only for cache mounts") }
    }

    private static func bool(_ key: String, _ value: String) throws(WordError) -> Bool {
        switch value.lowercased() {
        case "1", "t", "true": return true
        case "0", "f", "false": return false
        default: throw WordError(message: "invalid value for \(key): \(value)")
        }
    }

    private static func number(_ key: String, _ value: String) throws(WordError) -> UInt32 {
        guard let number = UInt32(value) else { throw WordError(message: "invalid value \(value) for \(key)") }
        return number
    }

    private static func hint(_ word: String, _ candidates: [String]) -> String {
        Suggest.closest(to: word, in: candidates).map { "; did you mean \($0)?" } ?? ""
    }
}

/// One CSV record, as Go's `encoding/csv` reads one line: fields split at
/// commas; a field that begins with `"` runs to the closing quote, `""`
/// inside it being one quote.
enum CSVRecord {
    static func fields(_ text: String) throws(WordError) -> [String] {
        var fields: [String] = []
        var scalars = Substring(text).unicodeScalars
        while true {
            var field = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                var closed = false
                while let scalar = scalars.popFirst() {
                    if scalar == "\"" {
                        if scalars.first == "\"" {
                            scalars.removeFirst()
                            field.unicodeScalars.append("\"")
                            continue
                        }
                        closed = true
                        break
                    }
                    field.unicodeScalars.append(scalar)
                }
                guard closed, scalars.isEmpty || scalars.first == "," else {
                    throw WordError(message: "malformed quoted field in \(text)")
                }
            } else {
                while let scalar = scalars.first, scalar != "," {
                    field.unicodeScalars.append(scalar)
                    scalars.removeFirst()
                }
            }
            fields.append(field)
            guard scalars.popFirst() != nil else { return fields }
        }
    }
}

/// Sizes as docker's `RAMInBytes` reads them: `512`, `64m`, `1.5g`, `2GiB`
/// (binary multiples, case-insensitive).
enum ByteSize {
    static func parse(_ text: String) -> Int64? {
        var scalars = Substring(text).unicodeScalars
        let number = scalars.prefix { $0.isASCIIDigit || $0 == "." }
        scalars.removeFirst(number.count)
        guard let value = Double(String(number)), !number.isEmpty else { return nil }
        if scalars.first == " " { scalars.removeFirst() }
        var multiplier: Double = 1
        if let unit = scalars.first, let power = powers[String(unit).lowercased()] {
            multiplier = (0..<power).reduce(1) { result, _ in result * 1024 }
            scalars.removeFirst()
        }
        if let i = scalars.first, i == "i" || i == "I" { scalars.removeFirst() }
        if let b = scalars.first, b == "b" || b == "B" { scalars.removeFirst() }
        guard scalars.isEmpty else { return nil }
        return Int64(value * multiplier)
    }

    private static let powers = ["k": 1, "m": 2, "g": 3, "t": 4, "p": 5]
}
