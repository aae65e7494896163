/// The labels docker compose puts on what it makes. Berth finds a project's
/// containers, networks and volumes by them, so nothing lives in memory only
/// and tools that read them keep working.
public enum ComposeLabel {
    public static let project = "com.docker.compose.project"
    public static let service = "com.docker.compose.service"
    public static let containerNumber = "com.docker.compose.container-number"
    public static let oneoff = "com.docker.compose.oneoff"
    public static let configHash = "com.docker.compose.config-hash"
    public static let network = "com.docker.compose.network"
    public static let volume = "com.docker.compose.volume"
    public static let workingDir = "com.docker.compose.project.working_dir"
    public static let configFiles = "com.docker.compose.project.config_files"
    public static let dependsOn = "com.docker.compose.depends_on"
    public static let version = "com.docker.compose.version"
    /// The digest of the image the container was made from, as `up` resolved it:
    /// a tag that moved since recreates the container.
    public static let image = "com.docker.compose.image"
}

/// Berth's own labels, for what docker keeps elsewhere.
public enum BerthLabel {
    /// The service's `links`, as `service:alias` entries joined by commas:
    /// the embedded DNS answers each alias with the linked service's
    /// addresses on the networks the two share.
    public static let links = "berth.links"
}

/// A label filter: every key must be present, with the value when one is given.
public struct LabelFilter: Sendable, Hashable {
    public var required: [String: String?]

    public init(_ required: [String: String?] = [:]) {
        self.required = required
    }

    /// The containers, networks or volumes of one project.
    public static func project(_ name: String) -> LabelFilter {
        LabelFilter([ComposeLabel.project: name])
    }

    /// True when `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        required.allSatisfy { key, value in
            guard let actual = labels[key] else { return false }
            return value.map { $0 == actual } ?? true
        }
    }
}
