import BerthModel
import RuntimeKit

/// An in-memory `ContainerRuntime` for tests: it records every call as a
/// line of text, keeps containers, networks and volumes in dictionaries,
/// and emits the events a real runtime would.
///
/// It fails where `LinuxRuntime` fails, with the same codes (a missing
/// object is `not-found`, a taken name `already-exists`, a network or
/// volume still used `in-use`, a container in the wrong state
/// `invalid-state`), so that the daemon's tests see the statuses
/// production answers with; RuntimeLinuxTests plays the same situations
/// against both and compares.
///
/// Tests seed it (`addImage`, `seedContainer`), run the code under test, and
/// compare `calls` or the state.
public actor FakeRuntime: ContainerRuntime {
    /// Every call, in order: `create web-1`, `start web-1`, `remove-network demo_default`.
    public private(set) var calls: [String] = []
    private var imagesByReference: [String: ImageInfo] = [:]
    private var containersByID: [String: ContainerInfo] = [:]
    private var specs: [String: ContainerSpec] = [:]
    private var networksByName: [String: NetworkInfo] = [:]
    private var volumesByName: [String: VolumeInfo] = [:]
    private var subscribers: [AsyncStream<RuntimeEvent>.Continuation] = []
    private var nextID = 1
    private var nextSubnet = 1
    private var clock: Double = 1_000_000
    /// The fake registry's images (FakeRuntime+Registry.swift).
    var remoteImages: [String: RemoteImage] = [:]
    var pullFailures: [String: BerthError] = [:]

    public init(images: [String] = []) {
        for image in images {
            imagesByReference[image] = ImageInfo(reference: image, digest: "sha256:\(image)", size: 1)
        }
    }

    /// Makes an image available, with the image's own healthcheck if given.
    public func addImage(_ reference: String, healthcheck: Healthcheck? = nil) {
        imagesByReference[reference] = ImageInfo(
            reference: reference, digest: "sha256:\(reference)", size: 1, healthcheck: healthcheck)
    }

    /// Puts a container in place without recording a call (state found at start-up).
    public func seedContainer(_ info: ContainerInfo) {
        containersByID[info.id] = info
    }

    /// Records a call.
    func record(_ call: String) { calls.append(call) }

    /// Puts an image into the store under its reference.
    func storeImage(_ info: ImageInfo) { imagesByReference[info.reference] = info }

    /// Forgets the recorded calls.
    public func clearCalls() { calls.removeAll() }

    /// The spec a container was created with.
    public func spec(of id: String) -> ContainerSpec? { specs[id] }

    /// Makes a running container exit, as if its process ended.
    public func exit(_ id: String, code: Int32) {
        guard var info = containersByID[id] else { return }
        info.state = .exited(code: code)
        info.finishedAt = tick()
        containersByID[id] = info
        emit(.init(kind: .die, containerID: id, containerName: info.name, exitCode: code))
    }

    private func tick() -> Double {
        clock += 1
        return clock
    }

    private func emit(_ event: RuntimeEvent) {
        for subscriber in subscribers { subscriber.yield(event) }
    }

    private func container(_ id: String) throws(BerthError) -> ContainerInfo {
        if let info = containersByID[id] { return info }
        if let info = containersByID.values.first(where: { $0.name == id }) { return info }
        throw BerthError(.notFound, "no such container: \(id)")
    }

    // MARK: ContainerRuntime

    public func image(_ reference: String) async throws -> ImageInfo {
        guard let info = imagesByReference[reference] else {
            throw BerthError(
                .notFound, "image \"\(reference)\" not found; import one with `berth image import FILE \(reference)`")
        }
        return info
    }

    public func images() async throws -> [ImageInfo] {
        imagesByReference.values.sorted { $0.reference < $1.reference }
    }

    public func createContainer(_ spec: ContainerSpec) async throws -> ContainerInfo {
        calls.append("create \(spec.name)")
        try await checkCreatable(spec)
        for case .container(let other) in [spec.pidMode, spec.ipcMode] {
            guard containersByID.values.contains(where: { $0.name == other && $0.state.isRunning }) else {
                throw BerthError(
                    .invalidState, "container \(spec.name): container:\(other) needs \(other) to be running")
            }
        }
        for case .volume(let name, _, _, _) in spec.mounts where volumesByName[name] == nil {
            volumesByName[name] = VolumeInfo(name: name, labels: [:], mountpoint: "/fake/volumes/\(name)")
        }
        let id = String(repeating: "0", count: 8) + String(nextID)
        nextID += 1
        var addresses: [String: String] = [:]
        for (i, attachment) in spec.networks.enumerated() {
            let subnet = networksByName[attachment.network]?.subnet ?? "10.0.0.0/24"
            let prefix = subnet.split(separator: ".").prefix(3).joined(separator: ".")
            addresses[attachment.network] = attachment.ipv4Address ?? "\(prefix).\(10 + nextID + i)"
        }
        var info = ContainerInfo(
            id: id, name: spec.name, image: spec.image, labels: spec.labels, state: .created,
            addresses: addresses, ports: spec.ports, createdAt: tick())
        // An anonymous mount takes the inherited volume for its target, or a new one.
        var anonymous: [String: String] = [:]
        for case .anonymous(let target) in spec.mounts {
            anonymous[target] = spec.inheritedVolumes?[target] ?? "anonymous-\(id)-\(anonymous.count)"
        }
        if !anonymous.isEmpty { info.anonymousVolumes = anonymous }
        containersByID[id] = info
        specs[id] = spec
        emit(.init(kind: .create, containerID: id, containerName: spec.name))
        return info
    }

    /// What `LinuxRuntime` checks before it makes anything, in its order.
    private func checkCreatable(_ spec: ContainerSpec) async throws {
        let names = Set(containersByID.values.map(\.name))
        for entry in spec.volumesFrom ?? [] where !names.contains(entry.container) {
            throw BerthError(
                .notFound,
                "container \(spec.name): volumes_from names container \(entry.container), which does not exist")
        }
        if names.contains(spec.name) {
            throw BerthError(.alreadyExists, "container name \"\(spec.name)\" is already in use")
        }
        _ = try await image(spec.image)
        for attachment in spec.networks where networksByName[attachment.network] == nil {
            throw BerthError(.notFound, "container \(spec.name): network \"\(attachment.network)\" does not exist")
        }
        if case .container(let other) = spec.networkMode, !names.contains(other) {
            throw BerthError(
                .notFound, "container \(spec.name): no container \"\(other)\" whose network namespace it could join")
        }
    }

    public func startContainer(_ id: String) async throws {
        var info = try container(id)
        calls.append("start \(info.name)")
        info.state = .running(pid: Int32(1000 + nextID))
        info.startedAt = tick()
        containersByID[info.id] = info
        emit(.init(kind: .start, containerID: info.id, containerName: info.name))
    }

    public func killContainer(_ id: String, signal: String) async throws {
        let info = try container(id)
        calls.append("kill \(info.name) \(signal)")
        let number = try Self.signal(signal, "kill container \(info.name)")
        guard info.state.isRunning else {
            throw BerthError(.invalidState, "container \(info.name) is not running, so \(signal) was not sent")
        }
        emit(.init(kind: .kill, containerID: info.id, containerName: info.name))
        exit(info.id, code: 128 + number)
    }

    private static func signal(_ text: String, _ operation: String) throws(BerthError) -> Int32 {
        guard let number = Signals.number(text) else {
            throw BerthError(.invalidArgument, "\(operation): unknown signal \"\(text)\"")
        }
        return number
    }

    public func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        _ = try Self.signal(signal, "stop container \(id)")
        let info = try container(id)
        calls.append("stop \(info.name)")
        if info.state.isRunning { exit(info.id, code: 0) }
        emit(.init(kind: .stop, containerID: info.id, containerName: info.name))
    }

    public func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws {
        let info = try container(id)
        calls.append("remove \(info.name)" + (keepingAnonymousVolumes ? " keeping anonymous volumes" : ""))
        if info.state.isRunning && !force {
            throw BerthError(.invalidState, "container \(info.name) is running; stop it first")
        }
        containersByID[info.id] = nil
        specs[info.id] = nil
        emit(.init(kind: .destroy, containerID: info.id, containerName: info.name))
    }

    public func containers(matching filter: LabelFilter) async throws -> [ContainerInfo] {
        containersByID.values.filter { filter.matches($0.labels) }.sorted { $0.name < $1.name }
    }

    public func waitContainer(_ id: String) async throws -> Int32 {
        let info = try container(id)
        if case .exited(let code) = info.state { return code }
        for await event in await events() where event.containerID == info.id && event.kind == .die {
            return event.exitCode ?? 0
        }
        return 0
    }

    public func exec(_ id: String, _ spec: ExecSpec) async throws -> ExecResult {
        let info = try container(id)
        calls.append("exec \(info.name) \(spec.command.joined(separator: " "))")
        guard !spec.command.isEmpty else {
            throw BerthError(.invalidSpec, "exec in container \(info.name): no command given")
        }
        guard info.state.isRunning else {
            throw BerthError(.invalidState, "container \(info.name) is not running")
        }
        return ExecResult(exitCode: 0, stdout: "", stderr: "")
    }

    public func createNetwork(_ spec: NetworkSpec) async throws -> NetworkInfo {
        calls.append("create-network \(spec.name)")
        if networksByName[spec.name] != nil {
            throw BerthError(.alreadyExists, "network \"\(spec.name)\" already exists")
        }
        let subnet = spec.subnet ?? "10.99.\(nextSubnet).0/24"
        nextSubnet += 1
        let prefix = subnet.split(separator: ".").prefix(3).joined(separator: ".")
        let info = NetworkInfo(
            name: spec.name, labels: spec.labels, subnet: subnet, gateway: spec.gateway ?? "\(prefix).1",
            internal: spec.internal)
        networksByName[spec.name] = info
        return info
    }

    public func removeNetwork(_ name: String) async throws {
        calls.append("remove-network \(name)")
        guard networksByName[name] != nil else { throw BerthError(.notFound, "network \"\(name)\" not found") }
        if let user = containersByID.values.first(where: { $0.addresses[name] != nil }) {
            throw BerthError(.inUse, "network \(name) is in use by container \(user.name)")
        }
        networksByName[name] = nil
    }

    public func networks(matching filter: LabelFilter) async throws -> [NetworkInfo] {
        networksByName.values.filter { filter.matches($0.labels) }.sorted { $0.name < $1.name }
    }

    public func createVolume(name: String, labels: [String: String]) async throws -> VolumeInfo {
        calls.append("create-volume \(name)")
        if let existing = volumesByName[name] { return existing }
        let info = VolumeInfo(name: name, labels: labels, mountpoint: "/fake/volumes/\(name)")
        volumesByName[name] = info
        return info
    }

    public func removeVolume(_ name: String) async throws {
        calls.append("remove-volume \(name)")
        guard volumesByName[name] != nil else { throw BerthError(.notFound, "volume \"\(name)\" not found") }
        for (id, spec) in specs {
            for case .volume(let volume, _, _, _) in spec.mounts where volume == name {
                throw BerthError(.inUse, "volume \(name) is in use by container \(containersByID[id]?.name ?? id)")
            }
        }
        volumesByName[name] = nil
    }

    public func volumes(matching filter: LabelFilter) async throws -> [VolumeInfo] {
        volumesByName.values.filter { filter.matches($0.labels) }.sorted { $0.name < $1.name }
    }

    public func events() async -> AsyncStream<RuntimeEvent> {
        let (stream, continuation) = AsyncStream<RuntimeEvent>.makeStream()
        subscribers.append(continuation)
        return stream
    }
}
