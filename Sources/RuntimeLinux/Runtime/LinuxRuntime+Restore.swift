import BerthModel
import Foundation
import Glibc
import HostOS
import RuntimeKit

extension LinuxRuntime {
    /// Brings a root with state back to life in this process (called by
    /// `init`): the bridges and the nft table (`BridgeNetworks.restore`),
    /// then each container: one a crash caught being made or removed is
    /// taken apart; the others get their ports published again on the same
    /// host ports, their network namespace remade and re-attached with the
    /// same addresses when a reboot took it, and exit watching when they
    /// run. Returns what failed; the rest is restored regardless.
    func restore() async -> [BerthError] {
        var problems: [BerthError] = []
        do { try await bridges.restore() } catch { problems.append(error) }
        for record in records.values.sorted(by: { $0.createdAt < $1.createdAt }) {
            switch record.phase {
            case .creating, .removing:
                do { try await teardown(record, undoingCreate: record.phase == .creating) } catch let error
                    as BerthError
                {
                    problems.append(error)
                } catch {
                    problems.append(
                        BerthError(
                            .runtime, "taking apart container \(record.id) failed", cause: BerthError.describe(error)))
                }
            case .ready:
                problems += await revive(record)
            }
        }
        problems += removeStrayNamespaces()
        return problems
    }

    /// Ports, namespace and exit watching of one container that exists.
    private func revive(_ record: ContainerRecord) async -> [BerthError] {
        var problems: [BerthError] = []
        let id = record.id
        var status = ContainerID(id).map(driver.observe) ?? .lost
        // Its shim died while berthd was away: stop what may still run and record the end.
        if case .lost = status, record.startedAt != nil, let cid = ContainerID(id) {
            do {
                if let recovered = try await driver.recoverLost(cid) { status = .exited(recovered) }
            } catch {
                problems.append(error as? BerthError ?? BerthError(.state, "container \(id): \(error)"))
            }
        }
        var alive = false
        if case .alive = status { alive = true }
        if !alive, record.ownsNetns, let path = record.netnsPath, !OverlayRootfs.isMountPoint(path) {
            do { try await remakeNamespace(record, path: path) } catch {
                problems.append(
                    BerthError(
                        .host, "container \(id): cannot remake its network namespace \(path)",
                        cause: BerthError.describe(error))
                )
            }
        }
        if alive {
            do { try await publishAgain(record) } catch {
                problems.append(error as? BerthError ?? BerthError(.bind, "container \(id): \(error)"))
            }
        }
        if alive, record.startedAt == nil, let cid = ContainerID(id) {
            // Started by a berthd that died before recording it: crun knows.
            if case .running = (try? await driver.inspect(cid))?.status {
                var started = record
                started.startedAt = Self.now()
                do { try await save(started) } catch {
                    problems.append(error as? BerthError ?? BerthError(.state, "\(error)"))
                }
                watch(id)
            }
        } else if alive {
            watch(id)
        }
        return problems
    }

    /// After a reboot the namespace file is there but nothing is mounted on
    /// it: a new namespace takes its place and joins the container's
    /// networks again, each with the address it had.
    private func remakeNamespace(_ record: ContainerRecord, path: String) async throws {
        guard let name = NetworkNamespace.Name(record.id) else { return }
        for network in await bridges.list() where network.endpoints.contains(where: { $0.netnsPath == path }) {
            try await bridges.detach(network.name, netnsPath: path)
        }
        if unlink(path) != 0 {
            let failure = errno
            if failure != ENOENT { throw BerthError.system("removing the old namespace file \(path)", errno: failure) }
        }
        let directory = netnsDirectory
        _ = try await DedicatedThread.run { try NetworkNamespace.create(name, in: directory) }
        var networks: [BridgeNetwork] = []
        for attachment in record.attachments {
            let network = try NetworkName(parsing: attachment.network)
            guard let found = await bridges.network(network) else {
                throw BerthError(.notFound, "network \"\(network)\" not found")
            }
            networks.append(found)
        }
        let routed = networks.firstIndex { !$0.isInternal }
        for (index, (attachment, network)) in zip(record.attachments, networks).enumerated() {
            _ = try await bridges.attach(
                network.name, container: record.id, netnsPath: path,
                interface: try InterfaceName(parsing: attachment.interface),
                address: IPv4(attachment.address), defaultRoute: index == routed)
        }
    }

    /// Namespace files no record names (a teardown that failed half-way
    /// and whose record went anyway): deleted.
    private func removeStrayNamespaces() -> [BerthError] {
        let names = (try? NetworkNamespace.names(in: netnsDirectory)) ?? []
        var problems: [BerthError] = []
        for name in names where records[name.rawValue] == nil {
            do { try NetworkNamespace(path: netnsDirectory + "/" + name.rawValue).delete() } catch {
                problems.append(
                    BerthError(.host, "cannot delete the stray network namespace \(name)", wrapping: error))
            }
        }
        return problems
    }
}
