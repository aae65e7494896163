import BerthModel

/// The host half of a build, which the Linux runtime provides: images from
/// the store, layers written and unpacked, `RUN` in a container. Layers are
/// named by their diff ID (`sha256:…` of the uncompressed tar); a list of
/// layers is lowest first. `ImageBuilder` decides what to call; a backend
/// only does what it is told, so the builder is testable without root.
public protocol BuildBackend: Sendable {
    /// The image `reference` names in the store, with its config and layers.
    func resolve(_ reference: String) async throws -> StoredImage
    /// Whether the layer is still in the store (a cache entry may outlive it).
    func hasLayer(_ diffID: String) async -> Bool
    /// Runs a `RUN` over `request.layers`; its changes become the returned layer.
    func run(_ request: RunRequest, output: @escaping @Sendable ([UInt8]) -> Void) async throws -> String
    /// Writes a layer with the files a `COPY`/`ADD` copies.
    func copy(_ request: CopyRequest) async throws -> String
    /// Writes a layer that holds the directory `path` (and its parents), owned by `user`.
    func makeDirectory(_ path: String, user: String?, layers: [String]) async throws -> String
    /// Stores an image made of `config` (whose `rootfs` lists its layers) and
    /// gives it `tags`; returns its config digest.
    func commit(_ config: DockerImageConfig, tags: [String]) async throws -> String
    /// Whether an image with this config digest is in the store; when so, gives it `tags`.
    func retag(_ id: String, tags: [String]) async throws -> Bool
    /// Pulls `reference` from its registry into the store (a `FROM` the
    /// store lacks, or every `FROM` with `--pull`).
    func pull(_ reference: String) async throws
    /// The bytes each of these layers holds on disk (one the store lacks is left out).
    func layerSizes(_ diffIDs: Set<String>) async -> [String: Int64]
    /// The layers that images in the store are made of.
    func layersInImages() async throws -> Set<String>
    /// Deletes those of `diffIDs` that no image uses; the bytes that went.
    func removeUnusedLayers(_ diffIDs: Set<String>) async throws -> Int64
}

extension BuildBackend {
    /// A backend with no registry: a base image must be in the store.
    public func pull(_ reference: String) async throws {
        throw BerthError(.notFound, "image \(reference) is not in the store, and this builder cannot pull it")
    }

    /// A backend that cannot measure: every layer counts as empty.
    public func layerSizes(_ diffIDs: Set<String>) async -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: diffIDs.map { ($0, 0) })
    }

    public func layersInImages() async throws -> Set<String> { [] }

    /// A backend that deletes nothing; forgetting the cache entries is the builder's part.
    public func removeUnusedLayers(_ diffIDs: Set<String>) async throws -> Int64 { 0 }
}

/// An image of the store, for a `FROM` or a `--from`.
public struct StoredImage: Sendable, Hashable {
    public var image: BaseImage
    /// Its layers' diff IDs, lowest first.
    public var layers: [String]

    public init(image: BaseImage, layers: [String]) {
        self.image = image
        self.layers = layers
    }
}

/// A root filesystem made of layers, and a path in it: where a copy or a
/// mount from a stage or an image reads.
public enum LayerSource: Sendable, Hashable {
    /// The build context directory on the host.
    case context(directory: String)
    /// The layers of a stage or an image (possibly none: scratch).
    case layers([String])
    /// Nothing.
    case empty
}

/// One `RUN`, ready to execute.
public struct RunRequest: Sendable {
    public var step: RunStep
    /// The stage's layers so far, lowest first.
    public var layers: [String]
    /// Each of `step.mounts`, with where it reads.
    public var mounts: [RunMountSource]
    /// Secret id → file on the host.
    public var secrets: [String: String]

    public init(step: RunStep, layers: [String], mounts: [RunMountSource], secrets: [String: String]) {
        self.step = step
        self.layers = layers
        self.mounts = mounts
        self.secrets = secrets
    }
}

/// A `RUN --mount`, and the layers or context it reads.
public struct RunMountSource: Sendable {
    public var mount: PlannedMount
    public var source: LayerSource

    public init(mount: PlannedMount, source: LayerSource) {
        self.mount = mount
        self.source = source
    }
}

/// One `COPY`/`ADD`, ready to execute.
public struct CopyRequest: Sendable {
    public var step: CopyStep
    /// The stage's layers so far (where `--chown` names are looked up and
    /// whether the destination is a directory is seen).
    public var layers: [String]
    public var source: LayerSource
    /// For a copy from the context: what each `.path` source selects
    /// (`.dockerignore` applied), in the order of `step.sources`.
    public var selections: [ContextSource]

    public init(step: CopyStep, layers: [String], source: LayerSource, selections: [ContextSource]) {
        self.step = step
        self.layers = layers
        self.source = source
        self.selections = selections
    }
}
