import BerthModel
import Foundation
import HostOS
import Registry
import RuntimeKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The registry clients of a runtime: one per docker config directory
/// (each user's credentials and tokens stay their own), each with its
/// puller, so that pulls through it share download slots and a layer two
/// pulls want at once is fetched once.
final class RegistryClients: Sendable {
    let settings: RegistrySettings
    private let byDirectory = Mutex<[String: ImagePuller]>([:])

    init(settings: RegistrySettings) {
        self.settings = settings
    }

    /// Clients replaced after a login: kept until shutdown, a pull may still use one.
    private let retired = Mutex<[ImagePuller]>([])

    /// The puller (and its client) for credentials from `directory`; nil:
    /// berthd's own. A client keeps the credentials it looked up (and its
    /// tokens), so when config.json changed since (a `berth login` or
    /// `docker login`), the next pull gets a new client.
    func puller(configDirectory directory: String?) -> ImagePuller {
        let directory = directory ?? DockerConfig.directory()
        var status = stat()
        let changed = stat(directory + "/config.json", &status) == 0 ? status.st_mtim : timespec()
        let key = "\(directory) \(changed.tv_sec).\(changed.tv_nsec)"
        return byDirectory.withLock { table in
            if let puller = table[key] { return puller }
            let client = RegistryClient(
                configuration: .init(settings: settings, userAgent: "berth/0.1"),
                credentials: DockerCredentials(directory: directory))
            let puller = ImagePuller(client: client)
            let stale = table.filter { $0.key.hasPrefix(directory + " ") }
            for (old, puller) in stale {
                table[old] = nil
                retired.withLock { $0.append(puller) }
            }
            table[key] = puller
            return puller
        }
    }

    /// Closes every client's connections.
    func shutdown() async {
        let pullers = byDirectory.withLock { table in
            defer { table = [:] }
            return Array(table.values)
        }
        let old = retired.withLock { list in
            defer { list = [] }
            return list
        }
        for puller in pullers + old { await puller.client.shutdown() }
    }
}

extension LinuxRuntime {
    /// Pulls `reference` for the options' platform: the layers the store
    /// lacks are fetched (at most `max-concurrent-downloads` at once, across
    /// every pull) and unpacked while they arrive; each is verified before
    /// it enters the store. Names the image `reference` and records its
    /// repository digest.
    public func pullImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> ImageInfo {
        let parsed = try ImageReference(parsing: reference)
        let platform = try options.platform.map { try Registry.Platform(parsing: $0) } ?? Registry.Platform.host
        let puller = registries.puller(configDirectory: options.configDirectory)
        let store = imageStore
        let reporter = PullReporter(image: reference, report: progress)
        let pulled = try await puller.pull(
            parsed, platform: platform, into: store.pullDestination, progress: { reporter.pullEvent($0) })
        let image = try await DedicatedThread.run { try store.recordPull(pulled.image, as: parsed) }
        return Self.info(image, as: parsed.digest == nil ? parsed.familiar : nil)
    }

    /// Pushes the image `reference` names to its registry (only the blobs
    /// it lacks; mounted from the repository it was pulled from when the
    /// registry is the same), then its manifest; returns the digest.
    public func pushImage(
        _ reference: String, options: ImageTransferOptions, progress: @escaping @Sendable (LayerProgress) -> Void
    ) async throws -> String {
        let parsed = try ImageReference(parsing: reference)
        let store = imageStore
        let (image, upload) = try await DedicatedThread.run { try store.upload(for: parsed, to: parsed) }
        let client = registries.puller(configDirectory: options.configDirectory).client
        let sizes = Dictionary(upload.blobs.map { ($0.descriptor.digest, $0.descriptor.size) }, uniquingKeysWith: max)
        let layers = Set(image.layers.map(\.digest))
        let digest = try await client.push(upload, to: parsed) { event in
            guard let update = Self.pushProgress(event, image: reference, sizes: sizes), layers.contains(update.0)
            else { return }
            progress(update.1)
        }
        try await DedicatedThread.run { try store.recordPush(parsed.pinned(to: digest), manifest: image.digest) }
        return digest.description
    }

    /// Gives the image `source` names the further name `target`.
    public func tagImage(_ source: String, as target: String) async throws -> ImageInfo {
        let from = try ImageReference(parsing: source)
        let to = try ImageReference(parsing: target)
        let store = imageStore
        let image = try await DedicatedThread.run { try store.tag(from, as: to) }
        return Self.info(image, as: to.familiar)
    }

    /// One image as the protocol shows it, under `name` (nil: its first name).
    static func info(_ image: Image, as name: String?) -> ImageInfo {
        var info = ImageInfo(
            reference: name ?? image.references.first?.familiar ?? "<none>", digest: image.digest.description,
            size: image.size, healthcheck: image.config.healthcheck.map(Self.healthcheck),
            repoDigests: image.repoDigests.map(\.familiar))
        info.platform = image.os + "/" + image.architecture
        return info
    }

    /// A push event as docker words it, for the blob it is about.
    static func pushProgress(_ event: PushEvent, image: String, sizes: [Digest: Int64]) -> (Digest, LayerProgress)? {
        func make(_ digest: Digest, _ status: String, _ current: Int64, done: Bool) -> (Digest, LayerProgress) {
            let total = sizes[digest] ?? 0
            return (
                digest,
                LayerProgress(
                    image: image, layer: digest.description, status: status, current: current, total: total,
                    done: done)
            )
        }
        switch event {
        case .exists(let digest): return make(digest, "Layer already exists", sizes[digest] ?? 0, done: true)
        case .mounted(let digest, let from): return make(digest, "Mounted from \(from)", sizes[digest] ?? 0, done: true)
        case .uploading(let digest, _): return make(digest, "Pushing", 0, done: false)
        case .uploaded(let digest): return make(digest, "Pushed", sizes[digest] ?? 0, done: true)
        case .manifest: return nil
        }
    }
}

/// Turns a pull's events into docker's per-layer lines: the config blob
/// left out, byte counts at most every 100 ms per layer.
final class PullReporter: Sendable {
    private struct State {
        var sizes: [Digest: Int64] = [:]
        var config: Digest?
        var last: [Digest: ContinuousClock.Instant] = [:]
    }
    private let image: String
    private let report: @Sendable (LayerProgress) -> Void
    private let state = Mutex(State())

    init(image: String, report: @escaping @Sendable (LayerProgress) -> Void) {
        self.image = image
        self.report = report
    }

    /// Takes one event of the puller.
    func pullEvent(_ event: PullEvent) {
        switch event {
        case .resolved(_, _, let blobs, let missing):
            state.withLock { state in
                state.config = blobs.first?.digest
                for blob in blobs { state.sizes[blob.digest] = blob.size }
            }
            for digest in missing { send(digest, "Waiting", 0, done: false) }
        case .present(let digest): send(digest, "Already exists", nil, done: true)
        case .waiting: break
        case .progress(let digest, let received, _):
            let now = ContinuousClock.now
            let due = state.withLock { state in
                if let last = state.last[digest], now - last < .milliseconds(100) { return false }
                state.last[digest] = now
                return true
            }
            if due { send(digest, "Downloading", received, done: false) }
        case .resumed(let digest, let at): send(digest, "Resuming", at, done: false)
        case .done(let digest): send(digest, "Pull complete", nil, done: true)
        }
    }

    private func send(_ digest: Digest, _ status: String, _ current: Int64?, done: Bool) {
        let (total, isConfig) = state.withLock { ($0.sizes[digest] ?? 0, $0.config == digest) }
        guard !isConfig else { return }
        report(
            LayerProgress(
                image: image, layer: digest.description, status: status, current: current ?? total, total: total,
                done: done))
    }
}

extension LinuxRuntime {
    /// `berth login`: the registry must accept the credentials (`GET /v2/`
    /// with them); then they go where docker puts them (the config's helper,
    /// else `auths` in `config.json`, mode 0600), owned by the caller.
    public func login(_ login: RegistryLogin) async throws -> String {
        let domain = try Self.registryDomain(login.server)
        let credentials = Credentials.basic(username: login.username, password: login.password)
        let client = RegistryClient(
            configuration: .init(settings: configuration.registrySettings, userAgent: "berth/0.1"),
            credentials: StaticCredentials([domain: credentials]))
        do {
            try await client.checkLogin(domain)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
        let store = DockerCredentials(directory: login.configDirectory)
        try await store.store(credentials, forRegistry: domain)
        Self.giveBack(login)
        return ImageReference.credentialKey(forRegistry: domain)
    }

    /// `berth logout`: forgets the registry in the helper and in `auths`.
    public func logout(_ login: RegistryLogin) async throws -> Bool {
        let domain = try Self.registryDomain(login.server)
        let erased = try await DockerCredentials(directory: login.configDirectory).erase(forRegistry: domain)
        Self.giveBack(login)
        return erased
    }

    /// The registry's domain as references name it: `docker.io` for Docker
    /// Hub's spellings (`https://index.docker.io/v1/`, `registry-1.docker.io`).
    static func registryDomain(_ server: String) throws(BerthError) -> String {
        var text = server
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) {
            text = String(text.dropFirst(scheme.count))
        }
        if let slash = text.firstIndex(of: "/") { text = String(text[..<slash]) }
        if ["index.docker.io", "registry-1.docker.io", "docker.io", ""].contains(text) { return "docker.io" }
        guard !text.contains(where: { $0 == " " || $0 == "@" }) else {
            throw BerthError(.invalidArgument, "\"\(server)\" is not a registry (HOST[:PORT])")
        }
        return text
    }

    /// berthd writes as root: the config directory and file go back to the caller.
    private static func giveBack(_ login: RegistryLogin) {
        for path in [login.configDirectory, login.configDirectory + "/config.json"] {
            _ = chown(path, login.uid, login.gid)
        }
    }
}
