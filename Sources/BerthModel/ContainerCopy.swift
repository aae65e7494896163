/// One `berth cp`: berthd runs on the client's host, so both sides are paths.
public struct ContainerCopy: Sendable, Hashable, Codable {
    /// Host to container (`true`) or container to host.
    public var intoContainer: Bool
    /// The path inside the container.
    public var containerPath: String
    /// The path on the host; with `archive`, a tar file to write or read.
    public var hostPath: String
    /// `hostPath` is a tar archive of what is copied (`-` on the command line).
    public var archive: Bool
    /// `-L`: follow a symlink given as the source.
    public var followLink: Bool
    /// `-a`: files keep their uid and gid; otherwise, as docker's, they
    /// belong to root in the container, and to the user (root) on the host.
    public var keepOwnership: Bool

    public init(
        intoContainer: Bool, containerPath: String, hostPath: String, archive: Bool, followLink: Bool,
        keepOwnership: Bool
    ) {
        self.intoContainer = intoContainer
        self.containerPath = containerPath
        self.hostPath = hostPath
        self.archive = archive
        self.followLink = followLink
        self.keepOwnership = keepOwnership
    }
}
