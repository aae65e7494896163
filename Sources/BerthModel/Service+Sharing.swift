// What a service shares with another service or container: its network
// stack (`network_mode`), its IPC and PID namespaces (`ipc`, `pid`) and
// its volumes (`volumes_from`). The parsers are here and the loader runs
// them; the rest of Berth switches over the cases instead of splitting
// `"service:x"` again.
//
// Each is Codable as the compose text it was parsed from, the form
// berthd stored (`<root>/projects/<name>.json`) before these were typed,
// so projects stored then still load.

/// `network_mode:`. The compose spec names `none`, `host`, `service:x` and
/// `container:x` and leaves other values to the platform.
public enum NetworkMode: Sendable, Hashable, CustomStringConvertible {
    /// `bridge`: a namespace of the container's own, on the service's networks.
    case bridge
    /// `host`: the host's network namespace.
    case host
    /// `none`: a namespace of the container's own with only loopback.
    /// (Not named `none`, which `NetworkMode?` would confuse with nil.)
    case disabled
    /// `service:x`: the namespace of service x's first container.
    case service(String)
    /// `container:x`: the namespace of container x, which must be running.
    case container(String)
    /// Any other value, kept as written (`default`, a network's name): Berth
    /// gives the container a namespace of its own, as with `bridge`.
    case other(String)

    /// The mode `text` spells; every text is one (an unknown one is `other`).
    public init(_ text: String) {
        switch text {
        case "bridge": self = .bridge
        case "host": self = .host
        case "none": self = .disabled
        default: self = reference(text, service: Self.service, container: Self.container) ?? .other(text)
        }
    }

    /// The compose text: `init(description)` gives the same mode back.
    public var description: String {
        switch self {
        case .bridge: return "bridge"
        case .host: return "host"
        case .disabled: return "none"
        case .service(let name): return "service:" + name
        case .container(let name): return "container:" + name
        case .other(let text): return text
        }
    }

    /// The service named by `service:x`, whose containers must start first.
    public var service: String? {
        if case .service(let name) = self { return name }
        return nil
    }
}

/// `service:x` or `container:x`, as `service` or `container` makes a mode
/// of x; nil for other text. `network_mode`, `ipc` and `pid` read them alike.
private func reference<Mode>(
    _ text: String, service: (String) -> Mode, container: (String) -> Mode
) -> Mode? {
    if text.hasPrefix("service:") { return service(String(text.dropFirst("service:".count))) }
    if text.hasPrefix("container:") { return container(String(text.dropFirst("container:".count))) }
    return nil
}

/// `ipc:` and `pid:`. Both take `host`, `service:x` and `container:x`;
/// `ipc:` also takes docker's `private`, `shareable` and `none`. Other
/// values are platform-specific and kept as written.
public enum NamespaceMode: Sendable, Hashable, CustomStringConvertible {
    /// `host`: the host's namespace.
    case host
    /// `service:x`: the namespace of service x's first container.
    case service(String)
    /// `container:x`: the namespace of container x, which must be running.
    case container(String)
    /// `private` (ipc): a namespace of its own, which others may not join.
    case `private`
    /// `shareable` (ipc): a namespace of its own, which others may join.
    case shareable
    /// `none` (ipc): a namespace of its own without `/dev/shm`. (Not named
    /// `none`, which `NamespaceMode?` would confuse with nil.)
    case disabled
    /// Any other value, kept as written.
    case other(String)

    /// The mode `text` spells; every text is one (an unknown one is `other`).
    public init(_ text: String) {
        switch text {
        case "host": self = .host
        case "private": self = .private
        case "shareable": self = .shareable
        case "none": self = .disabled
        default: self = reference(text, service: Self.service, container: Self.container) ?? .other(text)
        }
    }

    /// The compose text: `init(description)` gives the same mode back.
    public var description: String {
        switch self {
        case .host: return "host"
        case .service(let name): return "service:" + name
        case .container(let name): return "container:" + name
        case .private: return "private"
        case .shareable: return "shareable"
        case .disabled: return "none"
        case .other(let text): return text
        }
    }

    /// The service named by `service:x`, whose containers must start first.
    public var service: String? {
        if case .service(let name) = self { return name }
        return nil
    }
}

/// One `volumes_from` entry: `SERVICE`, `service:SERVICE` or
/// `container:NAME`, each optionally followed by `:ro` or `:rw`.
public struct VolumesFrom: Sendable, Hashable, CustomStringConvertible {
    /// Whose volumes are mounted.
    public enum Source: Sendable, Hashable {
        /// The first container of a service of the project.
        case service(String)
        /// A container by name, compose's or not.
        case container(String)
    }

    public var source: Source
    /// `:ro` (true) or `:rw` (false); nil: each mount as the source has it.
    public var readOnly: Bool?

    /// An entry from its parts.
    public init(_ source: Source, readOnly: Bool? = nil) {
        self.source = source
        self.readOnly = readOnly
    }

    /// Parses an entry; nil for text of another shape (`db:z`, `a:b:c`).
    /// The prefix is read first, then the mode: `container:ro` is container
    /// `ro`, as docker compose reads it, and `service:rw` service `rw`.
    public init?(parsing text: String) {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let prefix = parts.count > 1 && (parts[0] == "service" || parts[0] == "container") ? parts.removeFirst() : nil
        if parts.count > 1, let mode = parts.last, mode == "ro" || mode == "rw" {
            readOnly = mode == "ro"
            parts.removeLast()
        }
        if prefix == "container" {
            // Container names are the runtime's to check; a colon is kept in.
            source = .container(parts.joined(separator: ":"))
            return
        }
        guard parts.count == 1 else { return nil }
        source = .service(String(parts[0]))
    }

    /// The compose text, in its shortest form (`db:ro`, `container:cache`;
    /// `service:db` comes back as `db`), which parses to the same entry
    /// (but for a container name ending in `:ro` or `:rw`, read as a mode).
    public var description: String {
        var text: String
        switch source {
        // A service named like a prefix keeps the prefix, which reads first.
        case .service(let name): text = name == "service" || name == "container" ? "service:" + name : name
        case .container(let name): text = "container:" + name
        }
        if let readOnly { text += readOnly ? ":ro" : ":rw" }
        return text
    }

    /// The service whose volumes are mounted, whose containers must start first.
    public var service: String? {
        if case .service(let name) = source { return name }
        return nil
    }
}

extension NetworkMode: Codable {
    /// Reads the compose text.
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    /// Writes the compose text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension NamespaceMode: Codable {
    /// Reads the compose text.
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    /// Writes the compose text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension VolumesFrom: Codable {
    /// Reads the compose text. Text of another shape, which the loader let
    /// through before it parsed these and the runtime then skipped, reads as
    /// a service of that whole name: no service has a colon in its name, so
    /// it still mounts nothing.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = VolumesFrom(parsing: text) ?? VolumesFrom(.service(text))
    }

    /// Writes the compose text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
