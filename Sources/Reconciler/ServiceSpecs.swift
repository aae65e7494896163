import BerthModel
import RuntimeKit

/// Turns one replica of a compose service into the `ContainerSpec` the
/// runtime creates: names, labels, environment, mounts, networks and limits.
///
/// A pure translation, so the planner can put the finished spec in the plan
/// and the executor only hands it over. What Berth does not apply is left out
/// here and noted by `up` (`unappliedSettings`).
public enum ServiceSpecs {
    /// docker's default stop grace: ten seconds, in nanoseconds.
    public static let defaultStopGrace: Int64 = 10_000_000_000
    /// docker's default stop signal.
    public static let defaultStopSignal = "SIGTERM"

    /// `container_name`, or `<project>-<service>-<n>` (docker compose v2 joins
    /// with `-`; the loader refuses `container_name` with more than one replica).
    public static func containerName(project: ProjectName, service: Service, number: Int) -> String {
        service.containerName ?? "\(project.rawValue)-\(service.name)-\(number)"
    }

    /// The image to run: `image:`, or for a `build:`-only service the name
    /// docker compose gives the image it builds, `<project>-<service>`.
    public static func image(project: ProjectName, service: Service) -> String {
        service.image ?? "\(project.rawValue)-\(service.name)"
    }

    /// The whole spec of replica `number` of `service`.
    public static func spec(for service: Service, number: Int, in project: Project) -> ContainerSpec {
        var spec = ContainerSpec(
            name: containerName(project: project.name, service: service, number: number),
            image: image(project: project.name, service: service))
        spec.labels = labels(for: service, number: number, in: project)
        spec.entrypoint = service.entrypoint
        spec.command = service.command
        // A bare `KEY` the environment did not set is dropped rather than set
        // empty, as docker does: the image's own value, if any, stays.
        spec.environment = service.environment.compactMapValues { $0 }
        spec.workingDir = service.workingDir
        spec.user = service.user
        spec.hostname = service.hostname
        spec.domainname = service.domainname
        if service.uts == "host" { spec.uts = .host }
        if service.cgroup == "host" { spec.cgroupNamespace = .host }
        spec.groupAdd = service.groupAdd
        spec.cgroupParent = service.cgroupParent
        // CDI names (`vendor.com/class=name`) are not host paths: `up` notes them.
        let devices = (service.devices ?? []).filter { $0.source.hasPrefix("/") }
        if !devices.isEmpty { spec.devices = devices }
        spec.deviceCgroupRules = service.deviceCgroupRules
        spec.`init` = service.`init`
        spec.readOnly = service.readOnly
        spec.privileged = service.privileged
        spec.capAdd = service.capAdd
        spec.capDrop = service.capDrop
        if service.tty { spec.tty = true }
        if service.stdinOpen { spec.stdinOpen = true }
        if noNewPrivileges(service) { spec.noNewPrivileges = true }
        spec.seccompProfile = seccompProfile(service, in: project)
        let modules = service.securityOpt.filter { ["apparmor", "label"].contains(splitSecurityOption($0).key) }
        if !modules.isEmpty { spec.securityModuleOptions = modules }
        spec.pidMode = namespaceMode(service.pid, in: project)
        spec.ipcMode = namespaceMode(service.ipc, in: project)
        spec.mounts = mounts(for: service, in: project)
        var subpaths: [String: String] = [:]
        for mount in service.volumes where mount.type == .volume && mount.source != nil {
            if let subpath = mount.subpath, !subpath.isEmpty { subpaths[mount.target] = subpath }
        }
        if !subpaths.isEmpty { spec.volumeSubpaths = subpaths }
        let files = files(for: service, in: project)
        if !files.isEmpty { spec.files = files }
        let volumesFrom = volumesFrom(for: service, in: project)
        if !volumesFrom.isEmpty { spec.volumesFrom = volumesFrom }
        spec.networkMode = networkMode(for: service, in: project)
        if spec.networkMode == .bridge {
            spec.networks = attachments(for: service, in: project)
        }
        spec.ports = ports(for: service)
        if !service.expose.isEmpty { spec.expose = service.expose }
        spec.resources = service.resources
        spec.ulimits = service.ulimits
        spec.sysctls = service.sysctls
        spec.extraHosts = service.extraHosts
        spec.dns = service.dns
        spec.dnsSearch = service.dnsSearch
        spec.dnsOptions = service.dnsOptions
        spec.stopSignal = service.stopSignal
        spec.logging = service.logging
        spec.stopGracePeriod = service.stopGracePeriod
        // A disabled healthcheck stays in the spec: it overrides the image's.
        spec.healthcheck = service.healthcheck
        return spec
    }

    /// `volumes_from` with container names: a service names its first
    /// replica; a service the project lacks (a hand-built project) is skipped.
    static func volumesFrom(for service: Service, in project: Project) -> [VolumesFromContainer] {
        service.volumesFrom.compactMap { entry in
            switch entry.source {
            case .container(let name):
                return VolumesFromContainer(container: name, readOnly: entry.readOnly)
            case .service(let name):
                guard let parent = project.services[name] else { return nil }
                let container = containerName(project: project.name, service: parent, number: 1)
                return VolumesFromContainer(container: container, readOnly: entry.readOnly)
            }
        }
    }

    /// A `pid:` or `ipc:` mode as the runtime takes it (`service:x` names
    /// x's first replica); nil for a namespace of its own, and for modes
    /// Berth does not apply (`up` notes those).
    static func namespaceMode(_ mode: NamespaceMode?, in project: Project) -> SharedNamespace? {
        switch mode {
        case .host?:
            return .host
        case .container(let name)? where !name.isEmpty:
            return .container(name)
        case .service(let name)?:
            guard let parent = project.services[name] else { return nil }
            return .container(containerName(project: project.name, service: parent, number: 1))
        default:
            return nil
        }
    }

    /// Whether `security_opt` asks for no-new-privileges, as docker reads
    /// it: `no-new-privileges`, with `:true` or `=true`, or with `false`
    /// to say no.
    static func noNewPrivileges(_ service: Service) -> Bool {
        var wanted = false
        for option in service.securityOpt {
            let (key, value) = splitSecurityOption(option)
            if key == "no-new-privileges" { wanted = value.map { $0 == "true" } ?? true }
        }
        return wanted
    }

    /// `security_opt: seccomp=unconfined` or `seccomp=FILE` (relative to
    /// the project directory), the last one winning; nil: docker's default.
    static func seccompProfile(_ service: Service, in project: Project) -> String? {
        var profile: String?
        for option in service.securityOpt {
            let (key, value) = splitSecurityOption(option)
            guard key == "seccomp", let value, !value.isEmpty else { continue }
            if value == "unconfined" || value.hasPrefix("/") {
                profile = value
            } else {
                profile = project.workingDirectory + "/" + value
            }
        }
        return profile
    }

    /// `key:value` or `key=value` (docker takes both); the value is nil for a bare key.
    static func splitSecurityOption(_ option: String) -> (key: String, value: String?) {
        guard let separator = option.firstIndex(where: { $0 == ":" || $0 == "=" }) else { return (option, nil) }
        return (String(option[..<separator]), String(option[option.index(after: separator)...]))
    }

    /// What the service asks for that Berth does not do, one note each, for
    /// `up` to print rather than drop silently.
    public static func unappliedSettings(of service: Service, in project: Project) -> [String] {
        var notes: [String] = []
        let name = "service \(service.name)"
        for setting in service.unapplied ?? [] {
            let reason = ServiceAttributes.unapplied(setting).map { ": \($0.reason)" } ?? ""
            notes.append("\(name): \(setting) is not applied\(reason)")
        }
        if let ipc = service.ipc, ipc != .private, ipc != .shareable, namespaceMode(ipc, in: project) == nil {
            notes.append("\(name): ipc: \(ipc) is not applied; the container has an IPC namespace of its own")
        }
        if let pid = service.pid, namespaceMode(pid, in: project) == nil {
            notes.append("\(name): pid: \(pid) is not applied; the container has a PID namespace of its own")
        }
        // no-new-privileges and seccomp are applied; apparmor and label are
        // the runtime's to apply or to warn about, by what the host has.
        for option in service.securityOpt
        where !["no-new-privileges", "seccomp", "apparmor", "label"].contains(splitSecurityOption(option).key) {
            notes.append("\(name): security_opt \(option) is not applied")
        }
        notes += fileReferenceNotes(service.secrets, kind: "secret", objects: project.secrets, service: name)
        notes += fileReferenceNotes(service.configs, kind: "config", objects: project.configs, service: name)
        for device in service.devices ?? [] where !device.source.hasPrefix("/") {
            notes.append(
                "\(name): device \(device.source) is not applied: Berth gives host devices by path, not CDI names")
        }
        for mount in service.volumes where [.image, .npipe, .cluster].contains(mount.type) {
            notes.append(
                "\(name): the \(mount.type.rawValue) mount at \(mount.target) is not made; "
                    + "Berth mounts volumes, binds and tmpfs")
        }
        return notes
    }

    /// What of a service's secrets or configs is not applied: an external
    /// one (a Swarm object) is not mounted; one from an unset variable is
    /// empty; an owner that is not a number is not applied.
    static func fileReferenceNotes(
        _ references: [FileReference], kind: String, objects: [String: FileObject], service name: String
    ) -> [String] {
        var notes: [String] = []
        for reference in references {
            let object = objects[reference.source]
            switch object?.source {
            case .external?:
                notes.append("\(name): \(kind) \(reference.source) is not mounted: it is external (a Swarm \(kind))")
            case .environment(let variable)? where object?.environmentValue == nil:
                notes.append("\(name): \(kind) \(reference.source) is empty: variable \(variable) is not set")
            default: break
            }
            for case (let field, let value?) in [("uid", reference.uid), ("gid", reference.gid)]
            where UInt32(value) == nil {
                notes.append(
                    "\(name): \(kind) \(reference.source) \(field) \(value) is not applied: it is not a number")
            }
        }
        return notes
    }

    /// The user's labels plus the `com.docker.compose.*` ones; ours win, since
    /// the reconciler finds its containers by them.
    public static func labels(for service: Service, number: Int, in project: Project) -> [String: String] {
        var labels = service.labels
        labels[ComposeLabel.project] = project.name.rawValue
        labels[ComposeLabel.service] = service.name
        labels[ComposeLabel.containerNumber] = String(number)
        labels[ComposeLabel.oneoff] = "False"
        labels[ComposeLabel.configHash] = service.configHash
        labels[ComposeLabel.workingDir] = project.workingDirectory
        if let files = project.configFiles { labels[ComposeLabel.configFiles] = files.joined(separator: ",") }
        labels[ComposeLabel.dependsOn] = RecordedDependency.label(service.dependsOn)
        // `links: [db, db:database]`: `service:alias`, the alias defaulting to the service.
        let links = service.links.map { $0.contains(":") ? $0 : "\($0):\($0)" }
        if !links.isEmpty { labels[BerthLabel.links] = links.joined(separator: ",") }
        return labels
    }

    /// `network_mode` as the runtime takes it. `service:x` joins replica 1 of
    /// x, as docker compose does; a mode Berth does not know (`default`, a
    /// network's name) gets a namespace of its own, as `bridge` does.
    public static func networkMode(for service: Service, in project: Project) -> ContainerNetworkMode {
        switch service.networkMode {
        case nil, .bridge?, .other?:
            return .bridge
        case .disabled?:
            return .none
        case .host?:
            return .host
        case .service(let name)?:
            let parent = project.services[name] ?? Service(name: name)
            return .container(containerName(project: project.name, service: parent, number: 1))
        case .container(let name)?:
            return .container(name)
        }
    }

    /// The networks to join, highest `priority` first (eth0), ties by key as
    /// docker orders them. The service name is always an alias, so other
    /// containers reach any replica by it.
    public static func attachments(for service: Service, in project: Project) -> [NetworkAttachment] {
        let ordered = service.networks.sorted { lhs, rhs in
            lhs.priority != rhs.priority ? lhs.priority > rhs.priority : lhs.network < rhs.network
        }
        return ordered.enumerated().map { index, entry in
            var aliases = [service.name]
            for alias in entry.aliases where !aliases.contains(alias) {
                aliases.append(alias)
            }
            // The service's `mac_address` is the first network's, as docker's.
            return NetworkAttachment(
                network: networkName(entry.network, in: project), aliases: aliases, ipv4Address: entry.ipv4Address,
                macAddress: entry.macAddress ?? (index == 0 ? service.macAddress : nil))
        }
    }

    /// The host name of network `key`: its `name:` (the loader fills in
    /// `<project>_<key>`), or that default for a key the project lacks.
    public static func networkName(_ key: String, in project: Project) -> String {
        project.networks[key]?.name ?? "\(project.name.rawValue)_\(key)"
    }

    /// The host name of volume `key`, like `networkName`.
    public static func volumeName(_ key: String, in project: Project) -> String {
        project.volumes[key]?.name ?? "\(project.name.rawValue)_\(key)"
    }

    /// `volumes:`, `tmpfs:`, and file-backed secrets and configs, in that
    /// order. Secrets and configs the runtime writes (content from the
    /// environment or inline, or an owner or mode) are `files`, not mounts.
    public static func mounts(for service: Service, in project: Project) -> [MountSpec] {
        var mounts: [MountSpec] = []
        for mount in service.volumes {
            switch mount.type {
            case .volume:
                if let key = mount.source {
                    mounts.append(
                        .volume(
                            name: volumeName(key, in: project), target: mount.target, readOnly: mount.readOnly,
                            nocopy: mount.nocopy))
                } else {
                    mounts.append(.anonymous(target: mount.target))
                }
            case .bind:
                // The loader resolves bind sources to absolute paths.
                guard let source = mount.source else { continue }
                mounts.append(
                    .bind(
                        source: source, target: mount.target, readOnly: mount.readOnly,
                        createHostPath: mount.createHostPath))
            case .tmpfs:
                mounts.append(.tmpfs(target: mount.target, size: mount.tmpfsSize, mode: mount.tmpfsMode))
            case .image, .npipe, .cluster:
                // Not supported on this runtime; `up` notes them (unappliedSettings).
                continue
            }
        }
        mounts += service.tmpfs.compactMap(tmpfsMount)
        for reference in service.secrets where !needsFile(reference, project.secrets) {
            guard case .file(let path)? = project.secrets[reference.source]?.source else { continue }
            mounts.append(.bind(source: path, target: secretTarget(reference), readOnly: true, createHostPath: false))
        }
        for reference in service.configs where !needsFile(reference, project.configs) {
            guard case .file(let path)? = project.configs[reference.source]?.source else { continue }
            mounts.append(.bind(source: path, target: configTarget(reference), readOnly: true, createHostPath: false))
        }
        return mounts
    }

    /// Where a secret goes: its target, under `/run/secrets` when relative.
    static func secretTarget(_ reference: FileReference) -> String {
        let target = reference.target ?? reference.source
        return target.hasPrefix("/") ? target : "/run/secrets/\(target)"
    }

    /// Where a config goes: its target, or `/<name>`.
    static func configTarget(_ reference: FileReference) -> String {
        let target = reference.target ?? reference.source
        return target.hasPrefix("/") ? target : "/\(target)"
    }

    /// Whether a secret or config is written by the runtime rather than
    /// bound: its content is not a file, or it sets an owner or a mode.
    static func needsFile(_ reference: FileReference, _ objects: [String: FileObject]) -> Bool {
        switch objects[reference.source]?.source {
        case .environment?, .content?: return true
        case .file?: return reference.uid != nil || reference.gid != nil || reference.mode != nil
        case .external?, nil: return false
        }
    }

    /// The secrets and configs the runtime writes, with their owner (0 unless
    /// given) and mode (0444 unless given), as docker compose copies them in.
    public static func files(for service: Service, in project: Project) -> [FileSpec] {
        func file(_ reference: FileReference, _ object: FileObject?, target: String) -> FileSpec? {
            let content: FileSpec.Content
            switch object?.source {
            case .file(let path)?: content = .file(path)
            case .content(let text)?: content = .text(text)
            case .environment?: content = .text(object?.environmentValue ?? "")
            case .external?, nil: return nil
            }
            return FileSpec(
                target: target, content: content, uid: reference.uid.flatMap { UInt32($0) } ?? 0,
                gid: reference.gid.flatMap { UInt32($0) } ?? 0, mode: reference.mode.map { UInt32($0) } ?? 0o444)
        }
        let secrets = service.secrets.filter { needsFile($0, project.secrets) }.compactMap {
            file($0, project.secrets[$0.source], target: secretTarget($0))
        }
        let configs = service.configs.filter { needsFile($0, project.configs) }.compactMap {
            file($0, project.configs[$0.source], target: configTarget($0))
        }
        return secrets + configs
    }

    /// One short `tmpfs:` entry, `/path[:opt,opt]` with `size=` (bytes or
    /// with a k/m/g suffix) and `mode=` (octal); other options are ignored.
    static func tmpfsMount(_ text: String) -> MountSpec? {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard let target = parts.first, target.hasPrefix("/") else { return nil }
        var size: Int64?
        var mode: Int?
        if parts.count > 1 {
            for option in parts[1].split(separator: ",") {
                if option.hasPrefix("size=") {
                    size = byteCount(option.dropFirst(5))
                } else if option.hasPrefix("mode=") {
                    mode = Int(option.dropFirst(5), radix: 8)
                }
            }
        }
        return .tmpfs(target: String(target), size: size, mode: mode)
    }

    private static func byteCount(_ text: Substring) -> Int64? {
        let lower = text.lowercased()
        let units: [(String, Int64)] = [("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            return Int64(lower.dropLast()).map { $0 * factor }
        }
        return Int64(lower)
    }

    /// Published ports. A published range (`8000-8010`) binds its first
    /// port: the runtime takes one host port per mapping; no published port
    /// asks for an ephemeral one. Exposed-only ports publish nothing.
    public static func ports(for service: Service) -> [PortSpec] {
        service.ports.map { port in
            let hostPort = port.published.flatMap { text -> Int? in
                let low = text.split(separator: "-").first.map(String.init) ?? text
                return Int(low)
            }
            return PortSpec(
                hostIP: port.hostIP, hostPort: hostPort, containerPort: port.target, protocol: port.protocol)
        }
    }
}
