/// An image's configuration as docker writes it (the OCI image config with
/// docker's extensions): what a base image brings to a stage, and what a
/// built stage ends with. Coded with docker's field names, so the caller
/// can decode a base image's config blob into it and encode the result.
///
/// The builder fills everything but `created`, the history entries'
/// `created`, and `rootfs`: those belong to the layers the caller makes.
public struct DockerImageConfig: Hashable, Sendable, Codable {
    public var architecture: String
    public var os: String
    public var variant: String?
    /// `MAINTAINER`.
    public var author: String?
    /// RFC 3339; set by whoever commits the image.
    public var created: String?
    public var config: ContainerConfig
    /// The layers' diff IDs (`sha256:…`), lowest first; set by whoever makes them.
    public var rootfs: RootFS
    /// One entry per instruction that changed the image, the base image's first.
    public var history: [HistoryEntry]

    public init(
        architecture: String, os: String, variant: String? = nil, author: String? = nil, created: String? = nil,
        config: ContainerConfig = ContainerConfig(), rootfs: RootFS = RootFS(), history: [HistoryEntry] = []
    ) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.author = author
        self.created = created
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }

    /// The config of `FROM scratch`: no layers, `WorkingDir` `/`, and the
    /// default `PATH`, as BuildKit starts it.
    public static func scratch(_ platform: Platform) -> DockerImageConfig {
        var config = ContainerConfig()
        config.workingDir = "/"
        config.env = ["PATH=" + ContainerConfig.defaultPath]
        return DockerImageConfig(
            architecture: platform.architecture, os: platform.os,
            variant: platform.variant.isEmpty ? nil : platform.variant, config: config)
    }

    private enum CodingKeys: String, CodingKey {
        case architecture, os, variant, author, created, config, rootfs, history
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? ""
        os = try c.decodeIfPresent(String.self, forKey: .os) ?? ""
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        author = try c.decodeIfPresent(String.self, forKey: .author)
        created = try c.decodeIfPresent(String.self, forKey: .created)
        config = try c.decodeIfPresent(ContainerConfig.self, forKey: .config) ?? ContainerConfig()
        rootfs = try c.decodeIfPresent(RootFS.self, forKey: .rootfs) ?? RootFS()
        history = try c.decodeIfPresent([HistoryEntry].self, forKey: .history) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(os, forKey: .os)
        try c.encodeIfPresent(variant, forKey: .variant)
        try c.encodeIfPresent(author, forKey: .author)
        try c.encodeIfPresent(created, forKey: .created)
        try c.encode(config, forKey: .config)
        try c.encode(rootfs, forKey: .rootfs)
        try c.encode(history, forKey: .history)
    }
}

/// `rootfs`: the layers' diff IDs.
public struct RootFS: Hashable, Sendable, Codable {
    public var type: String
    public var diffIDs: [String]

    public init(type: String = "layers", diffIDs: [String] = []) {
        self.type = type
        self.diffIDs = diffIDs
    }

    private enum CodingKeys: String, CodingKey {
        case type
        case diffIDs = "diff_ids"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "layers"
        diffIDs = try c.decodeIfPresent([String].self, forKey: .diffIDs) ?? []
    }
}

/// One `history` entry: what made a layer, or an empty one for an
/// instruction that only changed the config.
public struct HistoryEntry: Hashable, Sendable, Codable {
    public var created: String?
    /// BuildKit's spelling of the instruction: `RUN /bin/sh -c make # buildkit`,
    /// `COPY . /app # buildkit`, `ENV A=b`, `WORKDIR /app`, `CMD ["x"]`.
    public var createdBy: String?
    public var author: String?
    public var comment: String?
    /// True when the entry has no layer.
    public var emptyLayer: Bool

    public init(
        createdBy: String?, emptyLayer: Bool, comment: String? = "buildkit.dockerfile.v0", created: String? = nil,
        author: String? = nil
    ) {
        self.createdBy = createdBy
        self.emptyLayer = emptyLayer
        self.comment = comment
        self.created = created
        self.author = author
    }

    private enum CodingKeys: String, CodingKey {
        case created, author, comment
        case createdBy = "created_by"
        case emptyLayer = "empty_layer"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        created = try c.decodeIfPresent(String.self, forKey: .created)
        createdBy = try c.decodeIfPresent(String.self, forKey: .createdBy)
        author = try c.decodeIfPresent(String.self, forKey: .author)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
        emptyLayer = try c.decodeIfPresent(Bool.self, forKey: .emptyLayer) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(created, forKey: .created)
        try c.encodeIfPresent(createdBy, forKey: .createdBy)
        try c.encodeIfPresent(author, forKey: .author)
        try c.encodeIfPresent(comment, forKey: .comment)
        if emptyLayer { try c.encode(true, forKey: .emptyLayer) }
    }
}
