import BerthModel
import Builder
import Foundation
import Glibc
import HostOS

/// The network of a `RUN`, as docker build gives it: by default a place on
/// a bridge network with masquerade to the outside (so `apt-get install`
/// and `pip install` work), `none` for loopback only, `host` for the
/// host's own namespace.
///
/// The bridge is one network of the runtime's `BridgeNetworks` called
/// `bridge`, like docker's default network (its interface, subnet and nft
/// rules come from the same machinery as a project's networks, so the
/// berthd name prefix keeps parallel daemons apart). It is made by the
/// first `RUN` that needs it and then kept; each `RUN` gets a network
/// namespace of its own under `<root>/build/netns`, an address and a veth
/// on it, all taken down when the step ends, fails or is cancelled.
struct BuildNetwork: Sendable {
    /// What a `RUN` runs attached to.
    enum Mode: Hashable, Sendable {
        /// The build network, with masquerade.
        case bridge
        /// A namespace with only loopback.
        case loopback
        /// The host's namespace.
        case host
    }

    /// Where one `RUN` is on the network, and what its `/etc/hosts` and
    /// `/etc/resolv.conf` say.
    struct Lease: Sendable {
        var network: LinuxContainerSpec.Network
        var hosts: [LinuxContainerSpec.HostEntry]
        /// nil: the host's file as it is (`none`, `host`).
        var dns: LinuxContainerSpec.DNS?
        /// The step's own namespace on the bridge, which `leave` removes.
        var namespacePath: String?
    }

    /// docker's name for its default network; refused to `network create` as docker refuses it.
    static let name = NetworkName("bridge")
    /// BuildKit's hostname for `RUN` containers, which some scripts look for.
    static let hostname = "buildkitsandbox"
    /// docker's resolvers for a container whose host has only loopback ones.
    static let fallbackServers = ["8.8.8.8", "8.8.4.4"]

    let bridges: BridgeNetworks
    /// `<root>/build/netns`.
    let namespaceDirectory: String
    /// The host's resolver configuration (`/etc/resolv.conf`).
    let hostResolvConf: String

    /// The step's mode: `RUN --network=none|host` as written; for
    /// `--network=default`, the build's own setting (compose
    /// `build.network`: `default`, `none` or `host`; unset is `default`).
    static func mode(_ network: RunNetwork, setting: String?) throws -> Mode {
        switch network {
        case .none: return .loopback
        case .host: return .host
        case .default:
            switch setting {
            case nil, "", "default": return .bridge
            case "none": return .loopback
            case "host": return .host
            case let other?:
                throw BerthError(
                    .unsupported,
                    "build network \"\(other)\" is not supported: a build's RUN steps use default, none or host")
            }
        }
    }

    /// `/etc/resolv.conf` on the bridge, docker's rule for its default
    /// network: the host's file without loopback nameservers (127.x, ::1:
    /// they answer on the host, not in the step's namespace) nor IPv6 ones
    /// (the network has no IPv6, as docker drops them on a network without
    /// it); none left, Google's public resolvers. Search and options lines stay.
    static func bridgeDNS(hostResolvConf text: String) -> LinuxContainerSpec.DNS {
        var dns = SpecTranslation.parseResolvConf(text)
        dns.servers = dns.servers.filter { !$0.hasPrefix("127.") && !$0.contains(":") }
        if dns.servers.isEmpty { dns.servers = fallbackServers }
        return dns
    }

    /// `/etc/hosts` lines after localhost: the step's own address (on the
    /// bridge) under its hostname, then compose `build.extra_hosts`
    /// (`HOST=IP` or `HOST:IP`; `host-gateway` is the bridge's gateway).
    static func hosts(_ extraHosts: [String], address: String?, gateway: String?) throws -> [LinuxContainerSpec
        .HostEntry]
    {
        let own = address.map { [LinuxContainerSpec.HostEntry(address: $0, names: [hostname])] } ?? []
        return own + (try SpecTranslation.extraHosts(extraHosts, gateway: gateway, subject: "build.extra_hosts"))
    }

    /// Puts the step `id` where its mode says; on the bridge, in a new
    /// namespace with an address. Nothing is left when it fails.
    func join(_ step: RunStep, id: ContainerID) async throws -> Lease {
        let extra = step.settings.extraHosts
        switch try Self.mode(step.network, setting: step.settings.network) {
        case .loopback: return Lease(network: .none, hosts: try Self.hosts(extra, address: nil, gateway: nil))
        case .host: return Lease(network: .host, hosts: try Self.hosts(extra, address: nil, gateway: nil))
        case .bridge: break
        }
        guard let name = NetworkNamespace.Name(id.rawValue) else {
            throw BerthError(.invalidName, "cannot name the network namespace of build step \(id)")
        }
        let directory = namespaceDirectory
        let path: String
        do {
            path = try await DedicatedThread.run { try NetworkNamespace.create(name, in: directory) }.path
        } catch {
            throw BerthError(.host, "cannot create the network namespace of build step \(id)", wrapping: error)
        }
        do {
            let (network, endpoint) = try await attach(path, container: id.rawValue)
            let text = (try? String(contentsOfFile: hostResolvConf, encoding: .utf8)) ?? ""
            let hosts = try Self.hosts(
                extra, address: endpoint.address.address.description, gateway: network.gateway.description)
            return Lease(
                network: .namespace(path: path), hosts: hosts, dns: Self.bridgeDNS(hostResolvConf: text),
                namespacePath: path)
        } catch {
            _ = await leave(namespacePath: path)
            throw error
        }
    }

    /// Takes the step off the network: its namespace is deleted, then its
    /// endpoint and address are freed; the veth pair is left to the kernel,
    /// which takes it down with the namespace, batched and off the step's
    /// path (deleting it here cost each RUN 10-32 ms of RCU waits, most of
    /// what the network added to a step). Runs to its end even when the
    /// build was cancelled; returns what failed.
    func leave(_ lease: Lease) async -> BerthError? {
        guard let path = lease.namespacePath else { return nil }
        return await leave(namespacePath: path)
    }

    private func leave(namespacePath path: String) async -> BerthError? {
        let bridges = bridges
        // A task of its own: the step's may be cancelled, and the networks'
        // lock gives up on a cancelled waiter.
        return await Task {
            var failures: [BerthError] = []
            var deleted = true
            do { try await DedicatedThread.run { try NetworkNamespace(path: path).delete() } } catch {
                deleted = false
                failures.append(BerthError(.host, "cannot delete the build step's namespace \(path)", wrapping: error))
            }
            if let name = Self.name {
                do throws(BerthError) {
                    // The namespace still there: its veth is deleted by hand.
                    try await bridges.detach(name, netnsPath: path, deleteLink: !deleted)
                } catch {
                    if error.code != .notFound { failures.append(error) }
                }
            }
            return BerthError.combined(failures)
        }.value
    }

    /// Attaches the namespace at `path` to the build network, made first if
    /// missing; made again if it went meanwhile (`network prune` while idle).
    private func attach(_ path: String, container: String) async throws -> (BridgeNetwork, NetworkEndpoint) {
        var attempt = 0
        while true {
            let network = try await ensure()
            do {
                let endpoint = try await bridges.attach(
                    network.name, container: container, netnsPath: path, defaultRoute: true)
                return (network, endpoint)
            } catch {
                guard error.code == .notFound, attempt < 2 else { throw error }
                attempt += 1
            }
        }
    }

    /// The build network, created when missing; endpoints a crashed berthd
    /// left (their namespace no longer mounted) are taken off it first.
    private func ensure() async throws -> BridgeNetwork {
        guard let name = Self.name else { throw BerthError(.invalidName, "invalid build network name") }
        if let network = await bridges.network(name) {
            for endpoint in network.endpoints where !OverlayRootfs.isMountPoint(endpoint.netnsPath) {
                try? await bridges.detach(name, netnsPath: endpoint.netnsPath)
            }
            return network
        }
        do {
            return try await bridges.create(NetworkRequest(name: name))
        } catch {
            // Another step made it between the look and the create.
            guard error.code == .alreadyExists, let network = await bridges.network(name) else { throw error }
            return network
        }
    }

    /// Removes the namespaces a crash left under `directory` (at berthd's
    /// start no step runs); their endpoints go at the next `ensure`.
    static func removeStrays(in directory: String) {
        for name in (try? NetworkNamespace.names(in: directory)) ?? [] {
            try? NetworkNamespace(path: directory + "/" + name.rawValue).delete()
        }
    }
}
