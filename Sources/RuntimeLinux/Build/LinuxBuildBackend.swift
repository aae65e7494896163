import BerthModel
import Builder
import Foundation
import Glibc
import HostOS
import Registry

/// The builder's host half on Linux: images and layers in berthd's image
/// store, `COPY`/`ADD` written straight into a staging directory, `RUN` in
/// a crun container over an overlay of the stage's layers, its upper
/// directory becoming the layer. Work happens under `<root>/build`.
public final class LinuxBuildBackend: BuildBackend {
    let store: ImageStore
    let driver: ContainerDriver
    /// `crun --root …`, without the verb.
    let crun: [String]
    /// `<root>/build`: staging directories and cache mounts.
    public let directory: String
    /// Pulls an image into the store (the runtime's registry client).
    let puller: @Sendable (String) async throws -> Void
    /// Where each `RUN` is on the network.
    let network: BuildNetwork

    init(
        store: ImageStore, driver: ContainerDriver, crun: [String], root: String, bridges: BridgeNetworks,
        hostResolvConf: String, pull: @escaping @Sendable (String) async throws -> Void
    ) throws {
        self.store = store
        self.driver = driver
        self.crun = crun
        self.puller = pull
        directory = root + "/build"
        network = BuildNetwork(
            bridges: bridges, namespaceDirectory: directory + "/netns", hostResolvConf: hostResolvConf)
        try FileOps.makeDirectories(directory + "/tmp", mode: 0o700)
        try FileOps.makeDirectories(directory + "/cache-mounts", mode: 0o700)
        for name in (try? FileOps.list(directory + "/tmp")) ?? [] {
            umount2(directory + "/tmp/" + name + "/merged", Int32(MNT_DETACH))
            FileOps.removeTree(directory + "/tmp/" + name)
        }
        BuildNetwork.removeStrays(in: network.namespaceDirectory)
    }

    public func resolve(_ reference: String) async throws -> StoredImage {
        let store = store
        return try await DedicatedThread.run {
            let image = try store.image(try ImageReference(parsing: reference))
            let config = try JSONDecoder().decode(DockerImageConfig.self, from: Data(try store.configBytes(of: image)))
            return StoredImage(
                image: BaseImage(id: image.configDigest.description, config: config),
                layers: image.layers.map(\.diffID.description))
        }
    }

    public func pull(_ reference: String) async throws {
        try await puller(reference)
    }

    public func hasLayer(_ diffID: String) async -> Bool {
        guard let digest = try? Digest(parsing: diffID) else { return false }
        return store.hasLayer(digest)
    }

    public func copy(_ request: CopyRequest) async throws -> String {
        try await DedicatedThread.run { try self.copyNow(request) }
    }

    public func makeDirectory(_ path: String, user: String?, layers: [String]) async throws -> String {
        try await DedicatedThread.run {
            let view = try self.view(layers)
            return try self.withStaging { staging in
                let step = CopyStep(
                    isAdd: false, origin: .empty, sources: [], destination: path, chown: user, chmod: nil, link: false,
                    parents: false, excludes: [], unpack: nil)
                _ = try BuildCopy(staging: staging, step: step, view: view).makeParents(path)
            }
        }
    }

    /// Runs the step on its network (`BuildNetwork`); when the build is
    /// cancelled (its client went away), the step's container is killed,
    /// and its run ends like a failure: container, mounts, upper directory
    /// and its place on the network removed, nothing cached.
    public func run(_ request: RunRequest, output: @escaping @Sendable ([UInt8]) -> Void) async throws -> String {
        guard let id = ContainerID("berth-build-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)) else {
            throw BerthError(.invalidName, "cannot name the build container")
        }
        let lease = try await network.join(request.step, id: id)
        let result: String
        do {
            result = try await runKillable(request, id: id, lease: lease, output: output)
        } catch {
            _ = await network.leave(lease)
            throw error
        }
        if let failure = await network.leave(lease) { throw failure }
        try Task.checkCancellation()
        return result
    }

    /// `runNow` on a thread of its own, its container killed when the task is cancelled.
    private func runKillable(
        _ request: RunRequest, id: ContainerID, lease: BuildNetwork.Lease,
        output: @escaping @Sendable ([UInt8]) -> Void
    ) async throws -> String {
        let crun = crun
        return try await withTaskCancellationHandler {
            try await DedicatedThread.run { try self.runNow(request, id: id, lease: lease, output: output) }
        } onCancel: {
            // The container may not be there yet (crun still creating it): try for a while.
            Task.detached {
                for _ in 0..<50 {
                    if (try? ChildProcess.run(crun + ["kill", id.rawValue, "KILL"]))?.status == 0 { return }
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    public func commit(_ config: DockerImageConfig, tags: [String]) async throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(config))
        let layers = try config.rootfs.diffIDs.map { (text: String) throws(BerthError) in try Digest(parsing: text) }
        let references = try tags.map { (tag: String) throws(BerthError) in try ImageReference(parsing: tag) }
        let store = store
        let id = try await DedicatedThread.run {
            try store.addBuiltImage(config: bytes, layers: layers, tags: references)
        }
        return id.description
    }

    public func retag(_ id: String, tags: [String]) async throws -> Bool {
        let digest = try Digest(parsing: id)
        let references = try tags.map { (tag: String) throws(BerthError) in try ImageReference(parsing: tag) }
        let store = store
        return try await DedicatedThread.run { try store.retagBuilt(digest, tags: references) }
    }

    /// The unpacked directories of some layers.
    func directories(_ layers: [String]) throws -> [String] {
        try layers.map { (text: String) throws in store.layerDirectory(try Digest(parsing: text)) }
    }

    func view(_ layers: [String]) throws -> LayerView { LayerView(directories: try directories(layers)) }

    /// Runs `body` with a fresh staging directory, then makes the layer of
    /// what it holds (the directory itself becomes the unpacked layer).
    func withStaging(_ body: (String) throws -> Void) throws -> String {
        let scratch = try FileOps.makeTemporaryDirectory(in: directory + "/tmp", prefix: "layer-")
        defer { FileOps.removeTree(scratch) }
        let staging = scratch + "/layer"
        try checkSyscall("mkdir \(staging)") { mkdir(staging, 0o755) }
        try body(staging)
        return try adopt(staging, scratch: scratch)
    }

    /// Tars `layerDirectory` and moves both into the store; returns the diff ID.
    func adopt(_ layerDirectory: String, scratch: String) throws -> String {
        let tar = try FileOps.temporaryFile(in: store.buildTemporaryDirectory, prefix: "built-")
        do {
            let (diffID, _) = try LayerTarWriter.write(layerDirectory, to: tar, what: "the built layer")
            chmod(layerDirectory, 0o755)
            try store.addBuiltLayer(tar: tar, diffID: diffID, directory: layerDirectory)
            return diffID.description
        } catch {
            unlink(tar)
            throw error
        }
    }

    private func copyNow(_ request: CopyRequest) throws -> String {
        let view = try view(request.layers)
        return try withStaging { staging in
            let copier = try BuildCopy(staging: staging, step: request.step, view: view)
            let into = copier.intoDirectory(sourceCount: request.step.sources.count)
            switch request.source {
            case .context(let context):
                for selection in request.selections { try copier.copy(selection, context: context, into: into) }
            case .layers(let layers):
                let scratch = try FileOps.makeTemporaryDirectory(in: directory + "/tmp", prefix: "from-")
                defer { FileOps.removeTree(scratch) }
                try MergedLayers.with(try directories(layers), scratch: scratch) { root in
                    for case .path(let path) in request.step.sources {
                        try copier.copy(path: path, from: root, into: into)
                    }
                }
            case .empty:
                break
            }
            for source in request.step.sources {
                switch source {
                case .inline(let name, let content): try copier.write(content, name: name, into: into)
                case .url(let url, let checksum): try download(url, checksum: checksum, copier: copier, into: into)
                case .path: break
                }
            }
        }
    }

    /// `ADD URL`: fetched with curl, checked against `--checksum`.
    private func download(_ url: String, checksum: String?, copier: BuildCopy, into: Bool) throws {
        let scratch = try FileOps.makeTemporaryDirectory(in: directory + "/tmp", prefix: "url-")
        defer { FileOps.removeTree(scratch) }
        let name = URL(string: url)?.lastPathComponent.nilIfEmpty ?? "download"
        let file = scratch + "/" + name
        try Command.run("curl", ["-fsSL", "--max-time", "600", "-o", file, url], what: "ADD \(url)")
        if let checksum {
            let (digest, _) = try FileOps.hash(file, what: url)
            guard digest.description == checksum else {
                throw BerthError(.digestMismatch, "ADD \(url): the content's digest is \(digest), not \(checksum)")
            }
        }
        try copier.place(
            file, name: name, into: into || copier.step.destination.hasSuffix("/"), keepOwner: false,
            unpack: copier.step.unpacksDownloads)
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty || self == "/" ? nil : self }
}
