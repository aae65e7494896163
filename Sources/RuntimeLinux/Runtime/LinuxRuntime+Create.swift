import AsyncKeyedLock
import BerthModel
import Foundation
import HostOS
import Registry
import RuntimeKit

extension LinuxRuntime {
    /// Creates (does not start) a container as `spec` asks: its image's
    /// layers under a writable one, a network namespace of its own (or the
    /// host's, or another container's) attached to its networks in order as
    /// eth0, eth1, …, its volumes (named ones made on first use and seeded
    /// from the image, anonymous ones made for it), its ports published on
    /// the host, and a shim holding its process ready to start.
    ///
    /// All or nothing: a failure undoes every step made so far, and a crash
    /// part way is undone by the next runtime's restore.
    public func createContainer(_ requested: ContainerSpec) async throws -> ContainerInfo {
        let spec = try withVolumesFrom(requested)
        let id = try SpecTranslation.containerID(spec.name)
        let taken = BerthError(.alreadyExists, "container name \"\(spec.name)\" is already in use")
        guard records[spec.name] == nil else { throw taken }
        // Another call may hold the name for a moment (a `start` of it that
        // is about to fail): wait for it, then look again.
        try await gate.lock(spec.name)
        defer { gate.unlock(spec.name) }
        guard records[spec.name] == nil else { throw taken }

        let plan = try await plan(spec, id: id)
        let anonymousMounts = Dictionary(
            plan.anonymousVolumes.map { ($0.target, $0.name) }, uniquingKeysWith: { first, _ in first })
        // The input goes to the container's directory once (the plan carries
        // it there), not into the record, which is rewritten on every change.
        var kept = spec
        kept.standardInput = nil
        // The image's exposed ports with the service's, for `ps`.
        let exposed = plan.image.config.exposedPorts + (spec.expose ?? []).map { $0.contains("/") ? $0 : $0 + "/tcp" }
        if !exposed.isEmpty { kept.expose = Array(Set(exposed)).sorted() }
        var record = ContainerRecord(
            phase: .creating, spec: kept, imageDigest: plan.image.digest.description, netnsPath: plan.netnsPath,
            ownsNetns: plan.ownsNetns, volumes: plan.namedVolumes, createdVolumes: plan.missingVolumes,
            anonymousVolumes: plan.anonymousVolumes.map(\.name), anonymousMounts: anonymousMounts,
            createdAt: Self.now())
        // Written before anything is made: a crash from here on leaves a
        // record naming what to undo.
        try await save(record)
        let warnings: [String]
        do {
            warnings = try await make(&record, plan: plan, id: id)
        } catch {
            do { try await shieldedTeardown(record, undoingCreate: true) } catch let failure {
                // The record stays (as `removing`, listed as dead): a remove
                // or the next restore finishes the undo.
                throw BerthError(
                    .runtime, "creating container \(spec.name) failed and could not be undone completely",
                    cause: "\(error); undo: \(failure)")
            }
            throw error
        }
        await removeUnclaimed(spec.inheritedVolumes)
        emit(.create, spec.name)
        var created = info(record)
        if !warnings.isEmpty { created.warnings = warnings }
        return created
    }

    /// `spec` with the mounts of its `volumesFrom` containers added: their
    /// named and anonymous volumes and their binds, at the same targets,
    /// read-only as the entry's mode says or as they are there. Volumes are
    /// not seeded again, tmpfs mounts are not shared, and a target the
    /// container mounts itself keeps its own mount.
    private func withVolumesFrom(_ spec: ContainerSpec) throws -> ContainerSpec {
        guard let entries = spec.volumesFrom, !entries.isEmpty else { return spec }
        var expanded = spec
        var taken = Set(spec.mounts.map { Self.normalized($0.target) })
        for entry in entries {
            let name = entry.container
            let readOnly = entry.readOnly
            guard let parent = records[name], parent.phase == .ready else {
                throw BerthError(
                    .notFound, "container \(spec.name): volumes_from names container \(name), which does not exist")
            }
            var shared: [MountSpec] = []
            for mount in parent.spec.mounts {
                switch mount {
                case .volume(let volume, let target, let ro, _):
                    shared.append(.volume(name: volume, target: target, readOnly: readOnly ?? ro, nocopy: true))
                case .bind(let source, let target, let ro, _):
                    shared.append(
                        .bind(source: source, target: target, readOnly: readOnly ?? ro, createHostPath: false))
                case .anonymous, .tmpfs: break
                }
            }
            for (target, volume) in (parent.anonymousMounts ?? [:]).sorted(by: { $0.key < $1.key }) {
                shared.append(.volume(name: volume, target: target, readOnly: readOnly ?? false, nocopy: true))
            }
            for mount in shared where taken.insert(Self.normalized(mount.target)).inserted {
                expanded.mounts.append(mount)
            }
        }
        return expanded
    }

    /// Removes the inherited volumes the new container does not mount (its
    /// service dropped the mount): they were the replaced container's, and
    /// anonymous volumes go with their container. Best effort: one left
    /// over is only disk space.
    private func removeUnclaimed(_ inherited: [String: String]?) async {
        guard let inherited else { return }
        let inUse = volumesInUse()  // the new container's record among them
        for name in Set(inherited.values) where !inUse.contains(name) {
            guard let volume = VolumeName(name), (try? volumeStore.inspect(volume)) != nil else { continue }
            try? await volumeStore.remove(volume, inUse: { _ in nil })
        }
    }

    /// The volume to mount at `target` that the replaced container left for
    /// this one, if it still exists and nobody else mounts it.
    private func inheritedVolume(at target: String, of spec: ContainerSpec) -> String? {
        guard let inherited = spec.inheritedVolumes else { return nil }
        let wanted = Self.normalized(target)
        guard let name = inherited.first(where: { Self.normalized($0.key) == wanted })?.value,
            let volume = VolumeName(name), (try? volumeStore.inspect(volume)) != nil, !volumesInUse().contains(name)
        else { return nil }
        return name
    }

    /// What a create will make, decided before anything is.
    struct CreatePlan: Sendable {
        var image: Image
        var layers: [String]
        var ports: [SpecTranslation.PortRequest]
        /// The networks, in eth order.
        var networks: [BridgeNetwork]
        var netnsPath: String?
        var ownsNetns: Bool
        /// For `network_mode: container:x`: x's record.
        var sharedWith: ContainerRecord?
        var namedVolumes: [String]
        /// Named volumes that do not exist yet.
        var missingVolumes: [String]
        /// Anonymous volumes: the spec's and the image's `VOLUME`s no mount covers.
        var anonymousVolumes: [(name: String, target: String)]
        /// The init's standard input, if it has one.
        var standardInput: [UInt8]?
    }

    /// Checks everything that can be checked without making anything: the
    /// image, the networks, the ports, the volume names.
    private func plan(_ spec: ContainerSpec, id: ContainerID) async throws -> CreatePlan {
        let (image, layers) = try await resolveImage(spec.image, for: spec.name)
        var ports = try SpecTranslation.portRequests(spec.ports, container: spec.name)
        var networks: [BridgeNetwork] = []
        var netnsPath: String? = netnsDirectory + "/" + id.rawValue
        var ownsNetns = true
        var sharedWith: ContainerRecord?
        switch spec.networkMode {
        case .bridge:
            for attachment in spec.networks {
                let name = try NetworkName(parsing: attachment.network)
                guard let network = await bridges.network(name) else {
                    throw BerthError(
                        .notFound,
                        "container \(spec.name): network \"\(attachment.network)\" not found; create it first")
                }
                guard !networks.contains(where: { $0.name == name }) else {
                    throw BerthError(.invalidSpec, "container \(spec.name): network \"\(name)\" is listed twice")
                }
                if let text = attachment.ipv4Address, IPv4(text) == nil {
                    throw BerthError(
                        .invalidArgument,
                        "container \(spec.name): ipv4_address \"\(text)\" on network \(name) is not an IPv4 address")
                }
                networks.append(network)
            }
            if !ports.isEmpty && networks.isEmpty {
                throw BerthError(.invalidSpec, "container \(spec.name) publishes ports but is on no network")
            }
        case .none:
            if !ports.isEmpty {
                throw BerthError(.invalidSpec, "container \(spec.name) publishes ports but has network_mode none")
            }
        case .host:
            // docker too drops them: the container's ports are the host's.
            ports = []
            netnsPath = nil
            ownsNetns = false
        case .container(let other):
            guard let parent = records[other], parent.phase == .ready else {
                throw BerthError(
                    .notFound, "container \(spec.name): no container \"\(other)\" whose network namespace it could join"
                )
            }
            if !ports.isEmpty {
                throw BerthError(
                    .invalidSpec,
                    "container \(spec.name) publishes ports but shares the network of \(other); publish them on \(other)"
                )
            }
            netnsPath = parent.netnsPath
            ownsNetns = false
            sharedWith = parent
        }
        var named: [String] = []
        var anonymous: [(name: String, target: String)] = []
        for mount in spec.mounts {
            switch mount {
            case .volume(let name, _, _, _):
                let valid = try VolumeName(parsing: name).rawValue
                if !named.contains(valid) { named.append(valid) }
            case .anonymous(let target):
                anonymous.append((inheritedVolume(at: target, of: spec) ?? Self.anonymousVolumeName(), target))
            case .bind, .tmpfs: break
            }
        }
        // The image's `VOLUME`s get an anonymous volume each, as with docker,
        // unless the service mounts something there.
        let targets = Set(spec.mounts.map { Self.normalized($0.target) })
        for path in image.config.volumes where !targets.contains(Self.normalized(path)) {
            anonymous.append((inheritedVolume(at: path, of: spec) ?? Self.anonymousVolumeName(), path))
        }
        let missing = named.filter { name in
            VolumeName(name).map { (try? volumeStore.inspect($0)) == nil } ?? false
        }
        return CreatePlan(
            image: image, layers: layers, ports: ports, networks: networks, netnsPath: netnsPath,
            ownsNetns: ownsNetns, sharedWith: sharedWith, namedVolumes: named, missingVolumes: missing,
            anonymousVolumes: anonymous, standardInput: spec.standardInput)
    }

    /// Makes what the plan says, in an order that fails early on what is
    /// most often wrong (a port taken) and cheap to undo.
    /// Returns the driver's warnings (a ulimit lowered, a setting berthd cannot grant).
    private func make(_ record: inout ContainerRecord, plan: CreatePlan, id: ContainerID) async throws -> [String] {
        let spec = record.spec
        if plan.ownsNetns, let path = record.netnsPath, let name = NetworkNamespace.Name(id.rawValue) {
            let directory = netnsDirectory
            do {
                _ = try await DedicatedThread.run { try NetworkNamespace.create(name, in: directory) }
            } catch {
                throw BerthError(
                    .host, "container \(spec.name): cannot create its network namespace \(path)", wrapping: error)
            }
        }
        // The default route goes through the first network that has one.
        let routed = plan.networks.firstIndex { !$0.isInternal }
        for (index, network) in plan.networks.enumerated() {
            guard let netnsPath = record.netnsPath else { break }
            let attachment = spec.networks[index]
            let interface = try InterfaceName(parsing: "eth\(index)")
            let endpoint = try await bridges.attach(
                network.name, container: spec.name, netnsPath: netnsPath, interface: interface,
                address: attachment.ipv4Address.flatMap(IPv4.init), defaultRoute: index == routed,
                hardwareAddress: try SpecTranslation.hardwareAddress(attachment.macAddress, container: spec.name))
            record.attachments.append(
                .init(
                    network: network.name.rawValue, interface: interface.rawValue,
                    address: endpoint.address.address.description, aliases: attachment.aliases))
        }
        if let first = record.attachments.first, let target = IPv4(first.address) {
            try await publish(plan.ports, to: target, container: spec.name)
            record.ports = published[spec.name, default: []].map(\.resolved)
        }
        let files = spec.files ?? []
        let fileDirectory = driver.paths(id).directory + "/files"
        var mounts = try makeMounts(spec, plan: plan)
        mounts += files.indices.map {
            .bind(source: "\(fileDirectory)/\($0)", target: files[$0].target, readOnly: true)
        }
        let linux = try await linuxSpec(record, plan: plan, id: id, mounts: mounts)
        record.command = try? BundleBuilder.arguments(for: linux)
        let created = try await driver.create(linux) { paths in
            try Self.writeFiles(files, in: fileDirectory, container: spec.name)
            try await self.seedVolumes(spec, plan: plan, rootfs: paths.rootfs)
        }
        record.phase = .ready
        try await save(record)
        return created.warnings
    }

    /// Publishes the ports, keeping each as it goes so that an undo finds them.
    private func publish(_ requests: [SpecTranslation.PortRequest], to target: IPv4, container: String)
        async throws
    {
        for request in requests {
            do {
                let port = try await proxy.publish(request.mapping(to: target))
                published[container, default: []].append(Publication(spec: request.spec, port: port))
            } catch {
                throw BerthError(
                    error.code, "container \(container): cannot publish a port: \(error.message)", cause: error.cause)
            }
        }
    }

    /// The volumes made and every mount resolved to a host path.
    private func makeMounts(_ spec: ContainerSpec, plan: CreatePlan) throws -> [LinuxContainerSpec.Mount] {
        var mounts: [LinuxContainerSpec.Mount] = []
        var anonymous = plan.anonymousVolumes[...]
        for mount in spec.mounts {
            switch mount {
            case .bind(let source, let target, let readOnly, let createHostPath):
                let path = try BindSource.prepare(source, createHostPath: createHostPath)
                mounts.append(.bind(source: path, target: target, readOnly: readOnly))
            case .volume(let name, let target, let readOnly, _):
                let volume = try volumeStore.create(try VolumeName(parsing: name))
                let source = try SpecTranslation.volumeSource(
                    volume.mountpoint, subpath: spec.volumeSubpaths?[target], volume: name, container: spec.name)
                mounts.append(.volume(source: source, target: target, readOnly: readOnly))
            case .anonymous:
                guard let next = anonymous.popFirst() else { continue }
                let volume = try volumeStore.create(try VolumeName(parsing: next.name), labels: Self.anonymousLabels)
                mounts.append(.volume(source: volume.mountpoint, target: next.target, readOnly: false))
            case .tmpfs(let target, let size, let mode):
                mounts.append(.tmpfs(target: target, size: size, mode: mode.map { UInt32(truncatingIfNeeded: $0) }))
            }
        }
        for next in anonymous {
            let volume = try volumeStore.create(try VolumeName(parsing: next.name), labels: Self.anonymousLabels)
            mounts.append(.volume(source: volume.mountpoint, target: next.target, readOnly: false))
        }
        return mounts
    }

    /// The driver's spec, with the namespace, /etc/hosts and /etc/resolv.conf
    /// of the container's network mode.
    private func linuxSpec(
        _ record: ContainerRecord, plan: CreatePlan, id: ContainerID, mounts: [LinuxContainerSpec.Mount]
    ) async throws -> LinuxContainerSpec {
        let spec = record.spec
        let network: LinuxContainerSpec.Network = record.netnsPath.map { .namespace(path: $0) } ?? .host
        var hosts: [LinuxContainerSpec.HostEntry] = []
        let dns: LinuxContainerSpec.DNS
        var gateway = plan.networks.first?.gateway.description
        if let parent = plan.sharedWith {
            // Another container's network: its names and resolver, as docker shares them.
            if let first = parent.attachments.first, let name = NetworkName(first.network) {
                gateway = await bridges.network(name)?.gateway.description
            }
            hosts +=
                SpecTranslation.ownHostEntry(parent.spec, address: parent.attachments.first?.address).map { [$0] } ?? []
            hosts += try SpecTranslation.extraHosts(parent.spec.extraHosts, gateway: gateway, container: parent.id)
            dns = gateway.map { SpecTranslation.bridgeDNS(parent.spec, gateway: $0) } ?? hostDNS(parent.spec)
        } else if let gateway {
            hosts += SpecTranslation.ownHostEntry(spec, address: record.attachments.first?.address).map { [$0] } ?? []
            dns = SpecTranslation.bridgeDNS(spec, gateway: gateway)
        } else {
            dns = hostDNS(spec)
        }
        hosts += try SpecTranslation.extraHosts(spec.extraHosts, gateway: gateway, container: spec.name)
        var linux = SpecTranslation.linuxSpec(
            spec, id: id, image: plan.image.config, layers: plan.layers, network: network, mounts: mounts,
            hosts: hosts, dns: dns)
        linux.pidNamespace = try namespace(spec.pidMode, kind: "pid", for: spec.name)
        linux.ipcNamespace = try namespace(spec.ipcMode, kind: "ipc", for: spec.name)
        linux.standardInput = plan.standardInput
        linux.log = try logPolicy(spec)
        linux.devices = try devices(spec)
        linux.deviceCgroupRules = spec.deviceCgroupRules ?? []
        linux.resources.blockIO = try spec.resources.blkio.map { try HostDevices.blockIO($0, container: spec.name) }
        return linux
    }

    /// Writes the container's secrets and configs into `directory` (in its
    /// own directory, so they go with it), each with its owner and mode.
    static func writeFiles(_ files: [FileSpec], in directory: String, container: String) throws {
        guard !files.isEmpty else { return }
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw BerthError.system("container \(container): creating \(directory)", errno: errno)
        }
        for (index, file) in files.enumerated() {
            let bytes: [UInt8]
            switch file.content {
            case .text(let text): bytes = Array(text.utf8)
            case .file(let path):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw BerthError(.notFound, "container \(container): cannot read \(path) for \(file.target)")
                }
                bytes = Array(data)
            }
            let path = "\(directory)/\(index)"
            do {
                try AtomicFile.write(bytes, to: path, mode: mode_t(file.mode))
            } catch {
                throw BerthError(.io, "container \(container): writing \(file.target)", wrapping: error)
            }
            // The mode again: the umask narrowed it at create.
            guard chown(path, file.uid, file.gid) == 0, chmod(path, mode_t(file.mode)) == 0 else {
                throw BerthError.system(
                    "container \(container): setting owner and mode of \(file.target)", errno: errno)
            }
        }
    }

    /// The host devices the container gets: its `devices:`, and with
    /// `privileged` every one of the host's (a `devices:` target wins).
    private func devices(_ spec: ContainerSpec) throws -> [LinuxContainerSpec.Device] {
        let named = try (spec.devices ?? []).flatMap { try HostDevices.devices($0, container: spec.name) }
        guard spec.privileged else { return named }
        let targets = Set(named.map(\.path))
        return HostDevices.all().filter { !targets.contains($0.path) } + named
    }

    /// A `pid:` or `ipc:` mode as the driver takes it: the host's namespace,
    /// or that of another container, which must be running (its namespace
    /// is found through its process).
    private func namespace(_ mode: SharedNamespace?, kind: String, for container: String) throws
        -> LinuxContainerSpec.Namespace
    {
        switch mode {
        case nil: return .own
        case .host: return .host
        case .container(let name):
            guard let parent = records[name], parent.startedAt != nil, let cid = ContainerID(name),
                case .alive(let pid) = driver.observe(cid)
            else {
                throw BerthError(
                    .invalidState, "container \(container): \(kind): container:\(name) needs \(name) to be running")
            }
            return .join(path: "/proc/\(pid)/ns/\(kind)")
        }
    }

    /// Seeds the named and anonymous volumes that are still empty from the
    /// image's content at their mount points, owners and modes kept: the
    /// rootfs is mounted by now, the volumes are not on it (crun binds them
    /// in the container's own mount namespace, after this).
    private func seedVolumes(_ spec: ContainerSpec, plan: CreatePlan, rootfs: String) async throws {
        var seeds: [(String, String, Bool)] = []
        var anonymous = plan.anonymousVolumes[...]
        for mount in spec.mounts {
            switch mount {
            case .volume(let name, let target, _, let nocopy):
                // Only a whole volume is seeded, as docker's.
                seeds.append((name, target, nocopy || spec.volumeSubpaths?[target] != nil))
            case .anonymous: if let next = anonymous.popFirst() { seeds.append((next.name, next.target, false)) }
            case .bind, .tmpfs: break
            }
        }
        seeds += anonymous.map { ($0.name, $0.target, false) }
        for (name, target, nocopy) in seeds {
            try await volumeStore.seedIfEmpty(
                try VolumeName(parsing: name), rootfs: rootfs, path: target, nocopy: nocopy)
        }
    }

    /// The image a reference names and its layer directories, or the error
    /// that says how to get it.
    func resolveImage(_ reference: String, for container: String) async throws -> (Image, [String]) {
        let store = imageStore
        do {
            return try await DedicatedThread.run {
                let image = try store.image(try ImageReference(parsing: reference))
                return (image, store.layerDirectories(for: image))
            }
        } catch let error as BerthError where error.code == .notFound {
            throw BerthError(
                .notFound,
                "container \(container): image \"\(reference)\" is not here; get it with `berth pull`, "
                    + "give the service a `build:` section, or load an image archive with "
                    + "`berth image import FILE \(reference)`")
        } catch let error as BerthError {
            throw BerthError(error.code, "container \(container): \(error.message)", cause: error.cause)
        }
    }

    /// The host's resolver configuration with the spec's `dns*` in place of its lines.
    func hostDNS(_ spec: ContainerSpec) -> LinuxContainerSpec.DNS {
        let text = (try? String(contentsOfFile: configuration.hostResolvConf, encoding: .utf8)) ?? ""
        return SpecTranslation.hostDNS(spec, hostResolvConf: text)
    }

    /// docker's mark on anonymous volumes.
    static let anonymousLabels = ["com.docker.volume.anonymous": ""]

    /// docker's form: 64 random hex digits.
    static func anonymousVolumeName() -> String {
        (0..<4).map { _ in
            let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// A container path without trailing or doubled slashes, for comparing mount targets.
    static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/").joined(separator: "/")
    }
}
