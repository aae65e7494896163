/// The media types of the OCI image-spec and of docker's schema 2, the four
/// kinds of manifest a registry serves and the layer encodings.
public enum MediaType {
    /// An OCI image index (several manifests, one per platform).
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    /// An OCI image manifest (a config and layers).
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// An OCI image configuration.
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    /// An uncompressed OCI layer.
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    /// A gzip-compressed OCI layer.
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// A zstd-compressed OCI layer.
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// docker's manifest list: its image index.
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// docker's schema 2 image manifest.
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// docker's image configuration.
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    /// docker's gzip-compressed layer.
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// docker's schema 1 manifests, which registries stopped serving; refused with a clear error.
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    /// docker's signed schema 1 manifest.
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// The manifest types a pull accepts, for the `Accept` header (every
    /// one of them, or a registry converts down to a type it thinks we want).
    public static let manifestTypes = [ociIndex, dockerManifestList, ociManifest, dockerManifest]
    /// The kinds that list other manifests.
    public static let indexTypes: Set<String> = [ociIndex, dockerManifestList]
    /// The kinds that describe one image.
    public static let imageManifestTypes: Set<String> = [ociManifest, dockerManifest]

    /// Whether a layer of this type is non-distributable ("foreign"): its
    /// bytes come from the URLs in its descriptor, not from the registry
    /// (Windows base layers). The image-spec marks them deprecated and lets
    /// a client skip pushing them; a Linux pull has no use for them.
    public static func isNonDistributable(_ type: String) -> Bool {
        type.contains("foreign") || type.contains("nondistributable")
    }

    /// How a layer of this media type is compressed, or nil when the type is
    /// not a layer this client can unpack.
    public static func compression(ofLayer type: String) -> Compression? {
        switch type {
        case ociLayer, "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.docker.image.rootfs.foreign.diff.tar":
            Compression.none
        case ociLayerGzip, dockerLayerGzip, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
            .gzip
        case ociLayerZstd, "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
            .zstd
        default:
            nil
        }
    }
}

/// How a layer's bytes are encoded on the wire.
public enum Compression: String, Sendable, Hashable, CustomStringConvertible {
    /// A plain tar.
    case none
    /// gzip (RFC 1952), possibly several members one after another.
    case gzip
    /// zstd frames.
    case zstd

    /// `none`, `gzip`, `zstd`.
    public var description: String { rawValue }
}
