import BerthModel
import HostOS
import RuntimeKit

/// The pure half of `LinuxRuntime.createContainer`: checks a
/// `RuntimeKit.ContainerSpec` and turns it, with what the host side made
/// (namespace, addresses, volume directories), into the driver's
/// `LinuxContainerSpec`. Reads nothing and writes nothing, so every rule
/// here is tested without root.
enum SpecTranslation {
    /// The container's id: its name, which must be a valid `ContainerID`
    /// since it names a directory, a cgroup and crun's container.
    static func containerID(_ name: String) throws -> ContainerID {
        guard let id = ContainerID(name) else {
            throw BerthError(
                .invalidArgument,
                "invalid container name \"\(name)\": use 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit"
            )
        }
        return id
    }

    /// A signal by name (`SIGTERM`, `TERM`) or number.
    static func signal(_ text: String, _ operation: String) throws -> Int32 {
        guard let number = Signals.number(text) else {
            throw BerthError(.invalidArgument, "\(operation): unknown signal \"\(text)\"")
        }
        return number
    }

    /// One `ports:` entry, checked, waiting for its target address.
    struct PortRequest: Hashable, Sendable {
        var spec: PortSpec
        var hostIP: IPv4?
        var hostPort: UInt16?
        var transport: PortProtocol
        var containerPort: UInt16

        /// The mapping to the container at `target`.
        func mapping(to target: IPv4) -> ProxyPortMapping {
            ProxyPortMapping(
                hostIP: hostIP, hostPort: hostPort, protocol: transport, targetIP: target, targetPort: containerPort)
        }
    }

    /// Checks the published ports: IPv4 host addresses (nil and `0.0.0.0`
    /// are every address), ports in range, TCP or UDP.
    static func portRequests(_ ports: [PortSpec], container: String) throws -> [PortRequest] {
        try ports.map { port in
            let what =
                "container \(container): port \(port.hostPort ?? 0):\(port.containerPort)/\(port.protocol.rawValue)"
            var hostIP: IPv4?
            if let text = port.hostIP, !text.isEmpty, text != "0.0.0.0" {
                guard let address = IPv4(text) else {
                    throw BerthError(
                        .unsupported,
                        "\(what): host address \"\(text)\" is not an IPv4 address; Berth names IPv4 host addresses "
                            + "only (with none, it listens on 0.0.0.0 and [::])")
                }
                hostIP = address
            }
            guard (1...65535).contains(port.containerPort) else {
                throw BerthError(
                    .invalidArgument, "\(what): container port \(port.containerPort) is out of range 1-65535")
            }
            if let hostPort = port.hostPort, !(0...65535).contains(hostPort) {
                throw BerthError(.invalidArgument, "\(what): host port \(hostPort) is out of range 0-65535")
            }
            let transport: PortProtocol
            switch port.protocol {
            case .tcp: transport = .tcp
            case .udp: transport = .udp
            case .sctp: throw BerthError(.unsupported, "\(what): SCTP cannot be published, only TCP and UDP")
            }
            let hostPort = port.hostPort.flatMap { $0 == 0 ? nil : UInt16($0) }
            return PortRequest(
                spec: port, hostIP: hostIP, hostPort: hostPort, transport: transport,
                containerPort: UInt16(port.containerPort))
        }
    }

    /// `extra_hosts` entries (`host=ip`, or `host:ip`) as hosts lines;
    /// docker's `host-gateway` is the gateway of the first network (or
    /// the host's loopback when the container has none).
    static func extraHosts(_ entries: [String], gateway: String?, container: String) throws -> [LinuxContainerSpec
        .HostEntry]
    {
        try extraHosts(entries, gateway: gateway, subject: "container \(container)")
    }

    /// `extraHosts`, its errors beginning with `subject` (`build.extra_hosts`).
    static func extraHosts(_ entries: [String], gateway: String?, subject: String) throws -> [LinuxContainerSpec
        .HostEntry]
    {
        try entries.map { entry in
            guard let separator = entry.firstIndex(of: "=") ?? entry.firstIndex(of: ":"),
                separator != entry.startIndex, entry.index(after: separator) != entry.endIndex
            else {
                throw BerthError(.invalidArgument, "\(subject): extra host \"\(entry)\" must be HOST=IP")
            }
            let host = String(entry[..<separator])
            var address = String(entry[entry.index(after: separator)...])
            if address == "host-gateway" { address = gateway ?? "127.0.0.1" }
            guard !host.contains(where: \.isWhitespace), !address.contains(where: \.isWhitespace) else {
                throw BerthError(.invalidArgument, "\(subject): extra host \"\(entry)\" holds a space")
            }
            return LinuxContainerSpec.HostEntry(address: address, names: [host])
        }
    }

    /// `/etc/resolv.conf` of a container on a bridge network: the embedded
    /// DNS at the first network's gateway, always, as docker's: it forwards
    /// the names it does not know to the container's `dns:` servers (or the
    /// host's). The host's search domains are not copied: a short name must
    /// reach the embedded DNS as it is, not as `name.corp.example` first.
    static func bridgeDNS(_ spec: ContainerSpec, gateway: String) -> LinuxContainerSpec.DNS {
        LinuxContainerSpec.DNS(servers: [gateway], search: spec.dnsSearch, options: spec.dnsOptions)
    }

    /// `/etc/resolv.conf` of a container without a bridge network (none,
    /// host): the host's file, with what `dns:`, `dns_search:` and
    /// `dns_opt:` give in place of its lines.
    static func hostDNS(_ spec: ContainerSpec, hostResolvConf: String) -> LinuxContainerSpec.DNS {
        var host = parseResolvConf(hostResolvConf)
        if !spec.dns.isEmpty { host.servers = spec.dns }
        if !spec.dnsSearch.isEmpty { host.search = spec.dnsSearch }
        if !spec.dnsOptions.isEmpty { host.options = spec.dnsOptions }
        return host
    }

    /// The `nameserver`, `search` (or `domain`) and `options` lines of a resolv.conf.
    static func parseResolvConf(_ text: String) -> LinuxContainerSpec.DNS {
        var dns = LinuxContainerSpec.DNS(servers: [])
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = words.first, !key.hasPrefix("#"), !key.hasPrefix(";") else { continue }
            let values = Array(words.dropFirst())
            switch key {
            case "nameserver": dns.servers += values.prefix(1)
            case "search", "domain": dns.search = values
            case "options": dns.options += values
            default: continue
            }
        }
        return dns
    }

    /// ulimits by name; a negative limit (compose's -1) is unlimited.
    static func ulimits(_ ulimits: [String: Ulimit]) -> [LinuxContainerSpec.Ulimit] {
        func limit(_ value: Int) -> UInt64 { value < 0 ? UInt64.max : UInt64(value) }
        return ulimits.sorted { $0.key < $1.key }.map { name, value in
            LinuxContainerSpec.Ulimit(name: name, soft: limit(value.soft), hard: limit(value.hard))
        }
    }

    /// The driver's spec: the image's config, the service's overrides, and
    /// what the host side resolved (namespace, mounts, hosts, DNS).
    static func linuxSpec(
        _ spec: ContainerSpec, id: ContainerID, image: ImageConfig, layers: [String],
        network: LinuxContainerSpec.Network, mounts: [LinuxContainerSpec.Mount],
        hosts: [LinuxContainerSpec.HostEntry], dns: LinuxContainerSpec.DNS
    ) -> LinuxContainerSpec {
        var linux = LinuxContainerSpec(
            id: id,
            image: .init(
                entrypoint: image.entrypoint, cmd: image.cmd, env: image.env, workingDir: image.workingDir,
                user: image.user),
            layers: layers)
        linux.entrypoint = spec.entrypoint
        linux.command = spec.command
        linux.terminal = spec.tty ?? false
        linux.openStdin = spec.stdinOpen ?? false
        linux.environment = spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        linux.workingDir = spec.workingDir
        linux.user = spec.user
        linux.hostname = spec.hostname
        linux.domainname = spec.domainname
        linux.hostUTS = spec.uts == .host
        linux.hostCgroupNamespace = spec.cgroupNamespace == .host
        linux.groupAdd = spec.groupAdd ?? []
        linux.cgroupParent = spec.cgroupParent
        linux.mounts = mounts
        linux.network = network
        linux.extraHosts = hosts
        linux.dns = dns
        linux.resources = resources(spec.resources)
        linux.ulimits = ulimits(spec.ulimits)
        linux.sysctls = spec.sysctls
        linux.capAdd = spec.capAdd
        linux.capDrop = spec.capDrop
        linux.privileged = spec.privileged
        linux.readOnlyRootfs = spec.readOnly
        linux.noNewPrivileges = spec.noNewPrivileges ?? false
        linux.seccompProfile = spec.seccompProfile
        linux.securityModuleOptions = spec.securityModuleOptions ?? []
        linux.initProcess = spec.`init`
        linux.annotations = spec.labels
        return linux
    }

    /// The host path a named volume is mounted from: its mount point, or
    /// with `volume.subpath` that path in it, which must exist and may not
    /// climb out of the volume (docker's rules). Reads the volume, the one
    /// thing here that does.
    static func volumeSource(_ mountpoint: String, subpath: String?, volume: String, container: String) throws -> String
    {
        guard let subpath, !subpath.isEmpty else { return mountpoint }
        let parts = subpath.split(separator: "/")
        guard !subpath.hasPrefix("/"), !parts.contains("..") else {
            throw BerthError(
                .invalidSpec,
                "container \(container): volume \(volume) subpath \"\(subpath)\" must be a relative path inside the volume"
            )
        }
        // Links are followed inside the volume, never out of it.
        guard let resolved = try HostPath.resolve(subpath, in: mountpoint) else {
            throw BerthError(
                .notFound, "container \(container): volume \(volume) has no \(subpath) to mount (volume.subpath)")
        }
        return resolved
    }

    /// A `mac_address` (`02:42:ac:11:00:02`, or with `-`) as its six bytes;
    /// nil for none. A multicast address is refused, as the kernel would.
    static func hardwareAddress(_ text: String?, container: String) throws -> [UInt8]? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false)
        let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
        guard parts.count == 6, bytes.count == 6 else {
            throw BerthError(
                .invalidArgument,
                "container \(container): mac_address \"\(text)\" is not six hex pairs (02:42:ac:11:00:02)")
        }
        guard bytes[0] & 1 == 0 else {
            throw BerthError(.invalidArgument, "container \(container): mac_address \(text) is a multicast address")
        }
        return bytes
    }

    /// The service's limits as the driver takes them.
    static func resources(_ r: Resources) -> LinuxContainerSpec.Resources {
        var linux = LinuxContainerSpec.Resources(
            memoryLimit: r.memoryLimit, memorySwap: r.memorySwap, cpus: r.cpus, pidsLimit: r.pidsLimit.map(Int64.init),
            shmSize: r.shmSize)
        linux.memoryReservation = r.memoryReservation
        linux.memorySwappiness = r.memorySwappiness
        linux.oomKillDisable = r.oomKillDisable ?? false
        linux.oomScoreAdj = r.oomScoreAdj
        linux.cpuShares = r.cpuShares
        linux.cpuset = r.cpuset
        linux.cpuQuota = r.cpuQuota
        linux.cpuPeriod = r.cpuPeriod
        return linux
    }

    /// The hosts line of the container itself: its first address, under its
    /// hostname (first as `hostname.domainname` with a `domainname`, so that
    /// `hostname -d` finds it) and its name, as docker writes it.
    static func ownHostEntry(_ spec: ContainerSpec, address: String?) -> LinuxContainerSpec.HostEntry? {
        guard let address else { return nil }
        let hostname = spec.hostname ?? String(spec.name.prefix(63))
        var names = [hostname]
        if let domain = spec.domainname, !domain.isEmpty { names.insert(hostname + "." + domain, at: 0) }
        if !names.contains(spec.name) { names.append(spec.name) }
        return LinuxContainerSpec.HostEntry(address: address, names: names)
    }
}
