import BerthModel

/// The name of something the runtime makes on the host, parsed once with
/// BerthModel's `ResourceName` grammar (docker's `[a-zA-Z0-9][a-zA-Z0-9_.-]*`,
/// at most 255 bytes), the grammar the loader checks too. A name that parsed
/// cannot lead out of a directory (`/`, `..`) or break an interface name or
/// an nft comment. `Kind` keeps a volume's name from passing for a network's.
public struct HostResourceName<Kind: HostResourceKind>: Hashable, Comparable, Sendable, CustomStringConvertible,
    Codable
{
    /// The name.
    public let rawValue: String

    /// A name, or nil when the grammar refuses it.
    public init?(_ rawValue: String) {
        guard ResourceName.problem(rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// A name, or an error that quotes it and gives the grammar.
    public init(parsing rawValue: String) throws(BerthError) {
        guard ResourceName.problem(rawValue) == nil else {
            throw BerthError(
                Kind.invalidCode,
                "invalid \(Kind.noun) name \"\(rawValue)\": "
                    + "use letters, digits, '_', '.' or '-', starting with a letter or digit"
            )
        }
        self.rawValue = rawValue
    }

    /// Decodes, refusing what `init(parsing:)` refuses: a state file is input too.
    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes as the bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The name.
    public var description: String { rawValue }

    /// Byte order, for stable listings.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a `HostResourceName` names, as its errors say.
public protocol HostResourceKind: Sendable {
    /// `volume`, `network`.
    static var noun: String { get }
    /// The code of the error `HostResourceName.init(parsing:)` throws.
    static var invalidCode: BerthError.Code { get }
}

/// A volume's name (`shop_db`): a directory name under the volume store.
public typealias VolumeName = HostResourceName<VolumeKind>

/// Volumes, for `VolumeName`.
public enum VolumeKind: HostResourceKind {
    public static let noun = "volume"
    public static let invalidCode = BerthError.Code.invalidName
}

/// A network's name as compose spells it after prefixing the project
/// (`shop_backend`): hashed into interface names and written into nft comments.
public typealias NetworkName = HostResourceName<NetworkKind>

/// Networks, for `NetworkName`.
public enum NetworkKind: HostResourceKind {
    public static let noun = "network"
    public static let invalidCode = BerthError.Code.invalidArgument
}
