import BerthModel

/// How a pull or push reaches its registry: the platform to pull for and
/// whose docker credentials to use.
public struct ImageTransferOptions: Sendable, Hashable, Codable {
    /// `os/arch[/variant]`, e.g. `linux/amd64`; nil: the host's.
    public var platform: String?
    /// The docker config directory (`$DOCKER_CONFIG`, `~/.docker`) of the
    /// user who asked: its `auths`, `credsStore` and `credHelpers` are used.
    /// nil: berthd's own.
    public var configDirectory: String?

    /// Options; every field defaults to berthd's own choice.
    public init(platform: String? = nil, configDirectory: String? = nil) {
        self.platform = platform
        self.configDirectory = configDirectory
    }
}

/// The progress of one layer (or config) of a pull or push, in docker's
/// words: `Waiting`, `Already exists`, `Downloading`, `Download complete`,
/// `Pull complete`, `Pushing`, `Pushed`, `Layer already exists`, `Mounted`.
public struct LayerProgress: Sendable, Hashable, Codable {
    /// The image the layer belongs to, as asked for (`postgres:16`).
    public var image: String
    /// The layer's digest (`sha256:…`).
    public var layer: String
    /// docker's word for where it is.
    public var status: String
    /// Bytes moved so far.
    public var current: Int64
    /// Bytes in all (the blob's size).
    public var total: Int64
    /// True when this is the layer's last event.
    public var done: Bool

    /// A progress report.
    public init(image: String, layer: String, status: String, current: Int64, total: Int64, done: Bool) {
        self.image = image
        self.layer = layer
        self.status = status
        self.current = current
        self.total = total
        self.done = done
    }
}

/// What a runtime that talks to registries adds: pull, push and tag.
/// The defaults say the runtime cannot.
extension ContainerRuntime {
    /// Pulls `reference` from its registry into the store (fetching only the
    /// layers the store lacks) and names it `reference`.
    public func pullImage(
        _ reference: String, options: ImageTransferOptions,
        progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> ImageInfo {
        throw BerthError(.unsupported, "this runtime cannot pull images")
    }

    /// Pushes the image `reference` names to its registry; returns the
    /// manifest digest the registry has it under.
    public func pushImage(
        _ reference: String, options: ImageTransferOptions,
        progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> String {
        throw BerthError(.unsupported, "this runtime cannot push images")
    }

    /// Gives the image `source` names the further name `target`.
    public func tagImage(_ source: String, as target: String) async throws -> ImageInfo {
        throw BerthError(.unsupported, "this runtime cannot tag images")
    }
}

/// `berth login` and `logout`: a registry, credentials, and the docker
/// config directory (owned by `uid`:`gid`) that records them.
public struct RegistryLogin: Sendable, Hashable {
    /// `docker.io`, `localhost:5000`; docker's `https://index.docker.io/v1/` too.
    public var server: String
    public var username: String
    public var password: String
    public var configDirectory: String
    public var uid: UInt32
    public var gid: UInt32

    /// A login (for `logout` the credentials are empty).
    public init(
        server: String, username: String = "", password: String = "", configDirectory: String, uid: UInt32,
        gid: UInt32
    ) {
        self.server = server
        self.username = username
        self.password = password
        self.configDirectory = configDirectory
        self.uid = uid
        self.gid = gid
    }
}

extension ContainerRuntime {
    /// Checks credentials with a registry and records them; returns the registry's key in config.json.
    public func login(_ login: RegistryLogin) async throws -> String {
        throw BerthError(.unsupported, "this runtime cannot log in to registries")
    }

    /// Forgets a registry's credentials.
    public func logout(_ login: RegistryLogin) async throws -> Bool {
        throw BerthError(.unsupported, "this runtime cannot log out of registries")
    }
}
