import BerthModel
import DaemonAPI
import RuntimeKit

extension DaemonService {
    public func images() async throws -> [ImageSummary] {
        try await runtime.images().map {
            ImageSummary(reference: $0.reference, digest: $0.digest, size: $0.size, repoDigests: $0.repoDigests)
        }.sorted { $0.reference < $1.reference }
    }

    public func importImage(_ request: ImageImportRequest) async throws -> [ImageSummary] {
        try await runtime.importImage(path: request.path, reference: request.reference)
            .map { ImageSummary(reference: $0.reference, digest: $0.digest, size: $0.size) }
    }

    public func removeImages(_ request: NamesRequest) async throws -> [String] {
        var removed: [String] = []
        for name in request.names { removed += try await runtime.removeImage(name, force: request.force) }
        return removed
    }

    public func volumes() async throws -> [VolumeSummary] {
        try await runtime.volumes(matching: LabelFilter()).map {
            VolumeSummary(name: $0.name, labels: $0.labels, mountpoint: $0.mountpoint)
        }.sorted { $0.name < $1.name }
    }

    public func createVolume(_ request: VolumeCreateRequest) async throws -> VolumeSummary {
        let volume = try await runtime.createVolume(name: request.name, labels: request.labels)
        return VolumeSummary(name: volume.name, labels: volume.labels, mountpoint: volume.mountpoint)
    }

    public func removeVolumes(_ request: NamesRequest) async throws -> [String] {
        try await eachName(request.names) { try await runtime.removeVolume($0) }
    }

    /// Runs `remove` for every name, all of them even when some fail; the
    /// names that went, or every failure together. `then` runs either way,
    /// before the result is given.
    func eachName(
        _ names: [String], _ remove: (String) async throws -> Void, then: () async -> Void = {}
    ) async throws -> [String] {
        var errors: [BerthError] = []
        var removed: [String] = []
        for name in names {
            do {
                try await remove(name)
                removed.append(name)
            } catch {
                errors.append((error as? BerthError) ?? BerthError(.daemonInternal, "\(error)"))
            }
        }
        await then()
        if let error = BerthError.combined(errors) { throw error }
        return removed
    }

    /// Removes every volume no container uses.
    public func pruneVolumes() async throws -> [String] {
        var removed: [String] = []
        for volume in try await runtime.volumes(matching: LabelFilter()) {
            if (try? await runtime.removeVolume(volume.name)) != nil { removed.append(volume.name) }
        }
        return removed
    }

    public func networks() async throws -> [NetworkSummary] {
        let containers = try await runtime.containers(matching: LabelFilter())
        return try await runtime.networks(matching: LabelFilter()).map { network in
            var members: [String: String] = [:]
            for container in containers {
                if let address = container.addresses[network.name] { members[container.name] = address }
            }
            return NetworkSummary(
                name: network.name, labels: network.labels, subnet: network.subnet, gateway: network.gateway,
                internal: network.internal, containers: members)
        }.sorted { $0.name < $1.name }
    }

    public func removeNetworks(_ request: NamesRequest) async throws -> [String] {
        // Before the answer, so that a lookup right after finds none of their names.
        try await eachName(request.names, { try await runtime.removeNetwork($0) }, then: { await names?.refresh() })
    }

    /// Removes every network no container is attached to.
    public func pruneNetworks() async throws -> [String] {
        var removed: [String] = []
        for network in try await runtime.networks(matching: LabelFilter()) {
            if (try? await runtime.removeNetwork(network.name)) != nil { removed.append(network.name) }
        }
        await names?.refresh()
        return removed
    }
}
