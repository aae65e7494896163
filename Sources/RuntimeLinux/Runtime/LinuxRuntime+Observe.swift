import BerthModel
import Foundation
import RuntimeKit

extension LinuxRuntime {
    /// Every container whose labels match, by name, in one snapshot: the
    /// records in memory and each container's shim files, with no await in
    /// between and no crun run, so it costs microseconds per container.
    /// One cut short by a failed remove shows as `dead`.
    public func containers(matching filter: LabelFilter) async throws -> [ContainerInfo] {
        records.values
            .filter { $0.phase != .creating && filter.matches($0.spec.labels) }
            .sorted { $0.id < $1.id }
            .map(info)
    }

    /// A container as it is now.
    func info(_ record: ContainerRecord) -> ContainerInfo {
        let spec = record.spec
        var state = ContainerState.dead
        var finishedAt: Double?
        if record.phase == .ready, let cid = ContainerID(record.id) {
            switch driver.observe(cid) {
            case .alive(let pid):
                state = record.startedAt == nil ? .created : .running(pid: pid)
            case .exited(let status):
                state = .exited(code: status.exitCode)
                finishedAt = JSONFileLog.parseTime(status.finishedAt)?.timeIntervalSince1970
            case .lost:
                state = .dead
            }
        }
        var info = ContainerInfo(
            id: record.id, name: record.id, image: spec.image, labels: spec.labels, state: state,
            addresses: Dictionary(record.attachments.map { ($0.network, $0.address) }, uniquingKeysWith: { a, _ in a }),
            ports: record.ports, createdAt: record.createdAt, startedAt: record.startedAt, finishedAt: finishedAt)
        info.aliases = Dictionary(record.attachments.map { ($0.network, $0.aliases) }, uniquingKeysWith: { a, _ in a })
        if let mounts = record.anonymousMounts, !mounts.isEmpty { info.anonymousVolumes = mounts }
        info.exposedPorts = spec.expose
        if !spec.dns.isEmpty { info.dnsServers = spec.dns }
        if record.paused == true, state.isRunning { info.paused = true }
        info.command = record.command
        return info
    }
}
