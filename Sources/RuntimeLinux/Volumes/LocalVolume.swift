import BerthModel

/// A named volume as the store keeps it: a directory under berthd's root
/// that containers mount, docker's `local` driver (BerthModel's `Volume` is
/// the compose project's declaration).
public struct LocalVolume: Hashable, Sendable, CustomStringConvertible {
    /// `<project>_<volume>`, as compose names it.
    public var name: VolumeName
    /// The directory containers mount: `<root>/volumes/<name>/_data`.
    public var mountpoint: String
    /// The labels it was created with (compose's `com.docker.compose.*`).
    public var labels: [String: String]
    /// When it was created, RFC 3339 in UTC, as `docker volume inspect` shows.
    public var createdAt: String
    /// Always `local`: a directory on this host.
    public var driver: String { "local" }

    /// A volume record.
    public init(name: VolumeName, mountpoint: String, labels: [String: String], createdAt: String) {
        self.name = name
        self.mountpoint = mountpoint
        self.labels = labels
        self.createdAt = createdAt
    }

    /// `shop_db at /var/lib/berth/volumes/shop_db/_data`.
    public var description: String { "\(name) at \(mountpoint)" }
}

/// A volume's name, in BerthModel's `ResourceName` grammar (docker's
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 255 bytes), which the loader checks
/// too. It becomes a directory name under the store, so a name with `/`, or
/// `.`/`..`, which could lead elsewhere, cannot be made at all.
public struct VolumeName: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The name.
    public let rawValue: String

    /// A name, or nil when the grammar refuses it.
    public init?(_ rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// A name, or an error that quotes it and gives the grammar.
    public init(parsing rawValue: String) throws(BerthError) {
        guard Self.isValid(rawValue) else {
            throw BerthError(
                .invalidName,
                "invalid volume name \"\(rawValue)\": use letters, digits, '_', '.' or '-', starting with a letter or digit"
            )
        }
        self.rawValue = rawValue
    }

    /// Decodes, refusing what `init(parsing:)` refuses.
    public init(from decoder: any Decoder) throws {
        self = try VolumeName(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes as the bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The name.
    public var description: String { rawValue }

    /// Byte order, for stable listings.
    public static func < (lhs: VolumeName, rhs: VolumeName) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func isValid(_ text: String) -> Bool { ResourceName.problem(text) == nil }
}
