/// A Kubernetes object as an ordered tree: what the emitters print.
///
/// Mappings keep the order they were built in, so an object prints as a
/// person writes one (`apiVersion`, `kind`, `metadata`, `spec`); mappings
/// whose order means nothing (labels, data) are built sorted. The same
/// project therefore always prints the same bytes.
public indirect enum KubeValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([KubeValue])
    case map([KubeField])

    /// A mapping from these pairs, in this order; nil values are left out.
    public static func object(_ pairs: KeyValuePairs<String, KubeValue?>) -> KubeValue {
        .map(pairs.compactMap { key, value in value.map { KubeField(key, $0) } })
    }

    /// A mapping of strings with its keys sorted (labels, annotations, data).
    public static func sorted(_ dictionary: [String: String]) -> KubeValue {
        .map(dictionary.keys.sorted().compactMap { key in dictionary[key].map { KubeField(key, .string($0)) } })
    }

    /// The value, or nil when it is an empty list or mapping (so an
    /// `object` leaves the field out).
    public var nonEmpty: KubeValue? {
        switch self {
        case .list(let items): return items.isEmpty ? nil : self
        case .map(let fields): return fields.isEmpty ? nil : self
        default: return self
        }
    }

    /// The value under `key` of a mapping.
    public subscript(key: String) -> KubeValue? {
        guard case .map(let fields) = self else { return nil }
        return fields.first { $0.key == key }?.value
    }

    /// The text of a string.
    public var text: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// One key of a mapping and its value.
public struct KubeField: Sendable, Equatable {
    public var key: String
    public var value: KubeValue

    public init(_ key: String, _ value: KubeValue) {
        self.key = key
        self.value = value
    }
}

extension KubeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: KubeValue...) { self = .list(elements) }
}

/// One generated object: its kind and name (for file names and the check
/// that no two objects share a name) and its whole tree.
public struct KubeObject: Sendable, Equatable {
    public var kind: String
    public var name: String
    /// What in the compose project it comes from, for error messages (`service "web"`).
    public var origin: String
    public var value: KubeValue

    public init(kind: String, name: String, origin: String, value: KubeValue) {
        self.kind = kind
        self.name = name
        self.origin = origin
        self.value = value
    }
}
