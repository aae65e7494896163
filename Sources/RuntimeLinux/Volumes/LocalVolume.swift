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
