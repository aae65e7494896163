import BerthModel
import Foundation
import HostOS
import Registry
import RuntimeKit

extension LinuxRuntime {
    // MARK: Networks

    /// Creates a bridge network: its subnet (`spec.subnet`, or the next free
    /// one of the pools), gateway, `ip_range`, `internal`, and labels. A
    /// network by that name already existing is an `already-exists` error,
    /// as with docker; so is `bridge`, the build network's name (docker's
    /// default network), even before a build made it.
    public func createNetwork(_ spec: NetworkSpec) async throws -> NetworkInfo {
        let what = "network \"\(spec.name)\""
        if spec.name == BuildNetwork.name?.rawValue {
            throw BerthError(
                .alreadyExists,
                "\(what) already exists: it is the network of RUN steps in builds, docker's default bridge")
        }
        func parsed<T>(_ text: String?, _ field: String, _ parse: (String) -> T?) throws -> T? {
            guard let text else { return nil }
            guard let value = parse(text) else {
                throw BerthError(.invalidArgument, "\(what): invalid \(field) \"\(text)\"")
            }
            return value
        }
        let request = NetworkRequest(
            name: try NetworkName(parsing: spec.name),
            subnet: try parsed(spec.subnet, "subnet") { IPv4CIDR($0) },
            gateway: try parsed(spec.gateway, "gateway") { IPv4($0) },
            ipRange: try parsed(spec.ipRange, "ip_range") { IPv4CIDR($0) },
            isInternal: spec.internal, labels: spec.labels)
        return Self.info(try await bridges.create(request))
    }

    /// Removes a network; refused while a container is attached, naming it.
    public func removeNetwork(_ name: String) async throws {
        try await bridges.remove(try NetworkName(parsing: name))
    }

    /// Every network whose labels match, by name.
    public func networks(matching filter: LabelFilter) async throws -> [NetworkInfo] {
        await bridges.list().filter { filter.matches($0.labels) }.map(Self.info)
    }

    static func info(_ network: BridgeNetwork) -> NetworkInfo {
        NetworkInfo(
            name: network.name.rawValue, labels: network.labels, subnet: network.subnet.description,
            gateway: network.gateway.description, internal: network.isInternal)
    }

    // MARK: Volumes

    /// Creates a named volume, or returns the one by that name (its labels
    /// kept): compose creates volumes on first use, and `up` twice must
    /// change nothing. A name that could leave the volume directory
    /// (`a/b`, `..`) is an `invalid-name` error.
    public func createVolume(name: String, labels: [String: String]) async throws -> VolumeInfo {
        Self.info(try volumeStore.create(try VolumeName(parsing: name), labels: labels))
    }

    /// Removes a volume and its content; refused while a container (running
    /// or not) uses it, naming the container.
    public func removeVolume(_ name: String) async throws {
        let volume = try VolumeName(parsing: name)
        let users = records.values.sorted { $0.id < $1.id }.map { ($0.id, $0.volumes + $0.anonymousVolumes) }
        try await volumeStore.remove(volume) { volume in
            users.first { $0.1.contains(volume.rawValue) }?.0
        }
    }

    /// Every volume whose labels match, by name.
    public func volumes(matching filter: LabelFilter) async throws -> [VolumeInfo] {
        try volumeStore.list().filter { filter.matches($0.labels) }.map(Self.info)
    }

    static func info(_ volume: LocalVolume) -> VolumeInfo {
        VolumeInfo(name: volume.name.rawValue, labels: volume.labels, mountpoint: volume.mountpoint)
    }

    // MARK: Images

    /// The image a reference names, or an error that says how to get one.
    public func image(_ reference: String) async throws -> ImageInfo {
        let store = imageStore
        let parsed = try ImageReference(parsing: reference)
        let image = try await DedicatedThread.run { try store.image(parsed) }
        return Self.info(image, as: parsed.familiar)
    }

    /// An image's HEALTHCHECK in the compose model's terms (nanoseconds).
    static func healthcheck(_ image: ImageHealthcheck) -> Healthcheck {
        func nanoseconds(_ duration: Duration?) -> Int64? {
            duration.map { $0.components.seconds * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000 }
        }
        return Healthcheck(
            test: image.test, interval: nanoseconds(image.interval), timeout: nanoseconds(image.timeout),
            retries: image.retries, startPeriod: nanoseconds(image.startPeriod),
            startInterval: nanoseconds(image.startInterval))
    }

    /// Every image, one entry per name (`<none>` for an image whose last
    /// name went while a container still used it).
    public func images() async throws -> [ImageInfo] {
        let store = imageStore
        return try await DedicatedThread.run { try store.list() }.flatMap(Self.infos)
    }

    static func infos(_ image: Image) -> [ImageInfo] {
        let names = image.references.isEmpty ? ["<none>"] : image.references.map(\.familiar)
        return names.map {
            var info = ImageInfo(
                reference: $0, digest: image.digest.description, size: image.size,
                repoDigests: image.repoDigests.map(\.familiar))
            info.platform = image.os + "/" + image.architecture
            return info
        }
    }

    /// Imports an OCI layout or archive, a `docker save` tarball, or a root
    /// filesystem (directory or tar, no config: give the command when
    /// running it) as `reference`, or under the names the archive gives.
    public func importImage(path: String, reference: String?) async throws -> [ImageInfo] {
        let store = imageStore
        let url = URL(fileURLWithPath: path)
        let name = try reference.map { try ImageReference(parsing: $0) }
        let imported = try await DedicatedThread.run { () throws -> [Image] in
            if let name { return [try store.importImage(from: url, as: name)] }
            return try store.importImages(from: url)
        }
        return imported.flatMap(Self.infos)
    }

    /// Removes an image's name, and the image with its last name unless a
    /// container was made from it: that is refused, naming the containers,
    /// or with `force` only the name goes (the image stays, unnamed, for
    /// the containers; docker does the same). Returns `untagged: NAME` and
    /// `deleted: DIGEST` lines, as `docker rmi` prints.
    public func removeImage(_ reference: String, force: Bool) async throws -> [String] {
        let store = imageStore
        let parsed = try ImageReference(parsing: reference)
        let users = records.values.sorted { $0.id < $1.id }.map { ($0.id, $0.imageDigest) }
        let removal = try await DedicatedThread.run { () throws -> ImageRemoval in
            let inUse = { (digest: Digest) in users.filter { $0.1 == digest.description }.map(\.0) }
            if force, !inUse(try store.image(parsed).digest).isEmpty { return try store.untag(parsed) }
            return try store.remove(parsed, inUse: inUse)
        }
        return removal.untagged.map { "untagged: \($0.familiar)" } + removal.deleted.map { "deleted: \($0)" }
    }
}
