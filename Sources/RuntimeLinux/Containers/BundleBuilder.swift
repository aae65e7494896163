import BerthModel

/// What the builder produces: the OCI config, the three files bound over
/// `/etc`, and the warnings a user should see (a clamped ulimit, a dropped
/// capability).
public struct OCIBundle: Hashable, Sendable {
    /// The `config.json` to write.
    public var spec: OCIRuntimeSpec
    /// The text of `/etc/hosts`.
    public var hosts: String
    /// The text of `/etc/hostname`.
    public var hostname: String
    /// The text of `/etc/resolv.conf`.
    public var resolvConf: String
    /// Things changed from what the spec asked, each one sentence.
    public var warnings: [String]
}

/// Turns a `LinuxContainerSpec` into an OCI bundle, as docker's daemon turns a
/// container config into one (`daemon/oci_linux.go`).
///
/// A pure function of the spec, the resolved user, the container's paths and
/// the host's facts: it reads nothing and writes nothing, so every rule here
/// is tested without root. Not done (yet): seccomp (docker's default profile),
/// AppArmor, user namespaces, devices, `--privileged` host devices.
public struct BundleBuilder: Sendable {
    /// The host facts the bundle depends on.
    public var host: HostFacts
    /// The cgroup every container's cgroup goes under (docker: `/docker`).
    public var cgroupParent: String

    /// A builder for the given host, putting cgroups under `cgroupParent`.
    public init(host: HostFacts, cgroupParent: String = "/berth") {
        self.host = host
        self.cgroupParent = cgroupParent
    }

    /// Where tini is bound inside a container with `init: true`: docker's path.
    public static let initPath = "/sbin/docker-init"

    /// docker's default `PATH`, used when neither the image nor the service sets one.
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The bundle for `spec` running as `user`, with its files in `paths`.
    public func build(_ spec: LinuxContainerSpec, user: ResolvedUser, paths: ContainerPaths) throws -> OCIBundle {
        var warnings: [String] = []
        // `uts: host`: the host's name, which the container cannot change.
        let hostname = spec.hostUTS ? host.hostName : spec.hostname ?? String(spec.id.rawValue.prefix(63))
        var args = try Self.arguments(for: spec)
        if spec.initProcess { args = [Self.initPath, "--"] + args }
        let cwd = spec.workingDir ?? spec.image.workingDir ?? "/"
        guard cwd.hasPrefix("/") else {
            throw BerthError(.invalidSpec, "container \(spec.id): working_dir \"\(cwd)\" is not an absolute path")
        }
        let capabilities = try capabilities(for: spec, warnings: &warnings)
        var process = OCIRuntimeSpec.Process(
            user: .init(
                uid: user.uid, gid: user.gid, additionalGids: user.additionalGids.isEmpty ? nil : user.additionalGids),
            args: args,
            env: Self.environment(for: spec, hostname: hostname, home: user.home),
            cwd: cwd,
            capabilities: .init(granting: capabilities),
            rlimits: try rlimits(for: spec, warnings: &warnings),
            noNewPrivileges: spec.noNewPrivileges ? true : nil)
        process.terminal = spec.terminal
        process.oomScoreAdj = oomScoreAdj(for: spec, warnings: &warnings)
        var linux = OCIRuntimeSpec.Linux(
            namespaces: Self.namespaces(for: spec),
            resources: try resources(for: spec, warnings: &warnings),
            cgroupsPath: try cgroupsPath(for: spec),
            sysctl: try Self.sysctlsWithDomainname(for: spec),
            maskedPaths: spec.privileged ? nil : Self.maskedPaths,
            readonlyPaths: spec.privileged ? nil : Self.readonlyPaths)
        linux.seccomp = try seccomp(for: spec, capabilities: capabilities)
        warnings += securityModuleWarnings(for: spec)
        if !spec.devices.isEmpty {
            linux.devices = spec.devices.map {
                .init(
                    path: $0.path, type: $0.type, major: $0.major, minor: $0.minor, fileMode: $0.fileMode, uid: $0.uid,
                    gid: $0.gid)
            }
        }
        let oci = OCIRuntimeSpec(
            process: process,
            root: .init(path: paths.rootfs, readonly: spec.readOnlyRootfs),
            hostname: spec.hostUTS ? nil : hostname,
            mounts: try mounts(for: spec, paths: paths),
            linux: linux,
            annotations: spec.annotations.isEmpty ? nil : spec.annotations)
        return OCIBundle(
            spec: oci, hosts: Self.hostsFile(for: spec), hostname: hostname + "\n",
            resolvConf: Self.resolvConf(for: spec, host: host), warnings: warnings)
    }

    /// The container's cgroup: `cgroup_parent` (absolute from the
    /// hierarchy's root, as docker's cgroupfs driver reads it) or berthd's,
    /// then the id. A parent that climbs out (`..`) is refused.
    func cgroupsPath(for spec: LinuxContainerSpec) throws -> String {
        guard let parent = spec.cgroupParent, !parent.isEmpty else { return cgroupParent + "/" + spec.id.rawValue }
        let parts = parent.split(separator: "/")
        guard !parts.contains(".."), !parts.contains("."), parent.allSatisfy({ $0 != "\0" && $0 != "\n" }) else {
            throw BerthError(.invalidSpec, "container \(spec.id): cgroup_parent \"\(parent)\" must not hold . or ..")
        }
        return "/" + (parts.map(String.init) + [spec.id.rawValue]).joined(separator: "/")
    }

    /// argv by docker's rule: the service's entrypoint replaces the image's
    /// and clears the image's cmd, unless the service also gives a command;
    /// the service's command replaces the image's cmd.
    public static func arguments(for spec: LinuxContainerSpec) throws -> [String] {
        let entrypoint = spec.entrypoint ?? spec.image.entrypoint ?? []
        let command = spec.command ?? (spec.entrypoint != nil ? [] : spec.image.cmd ?? [])
        let args = entrypoint + command
        guard let first = args.first, !first.isEmpty else {
            throw BerthError(
                .invalidSpec,
                "container \(spec.id): no command to run (neither the image nor the service sets an entrypoint or command)"
            )
        }
        return args
    }

    /// The environment in docker's order: `PATH` (when nobody sets one),
    /// `HOSTNAME`, the image's entries, the service's (replacing the image's
    /// in place; a bare `KEY` removes it), and `HOME` from `/etc/passwd` when
    /// still unset.
    public static func environment(for spec: LinuxContainerSpec, hostname: String, home: String) -> [String] {
        var keys: [Substring] = []
        var values: [Substring: String] = [:]
        func apply(_ entry: String) {
            guard let eq = entry.firstIndex(of: "=") else {
                let key = Substring(entry)
                keys.removeAll { $0 == key }
                values[key] = nil
                return
            }
            let key = entry[..<eq]
            if values[key] == nil { keys.append(key) }
            values[key] = entry
        }
        let configured = spec.image.env + spec.environment
        if !configured.contains(where: { $0.hasPrefix("PATH=") }) { apply(defaultPath) }
        apply("HOSTNAME=" + hostname)
        configured.forEach(apply)
        if values["HOME"] == nil { apply("HOME=" + home) }
        return keys.compactMap { values[$0] }
    }

    /// The rlimits asked for, each lowered to berthd's own hard limit when
    /// berthd cannot raise it (no CAP_SYS_RESOURCE), with a warning saying so.
    func rlimits(for spec: LinuxContainerSpec, warnings: inout [String]) throws -> [OCIRuntimeSpec.Rlimit]? {
        guard !spec.ulimits.isEmpty else { return nil }
        return try spec.ulimits.map { ulimit in
            let name = ulimit.name.lowercased()
            guard HostFacts.rlimits.contains(where: { $0.name == name }) else {
                throw BerthError(.invalidSpec, "container \(spec.id): unknown ulimit \"\(ulimit.name)\"")
            }
            guard ulimit.soft <= ulimit.hard else {
                throw BerthError(
                    .invalidSpec,
                    "container \(spec.id): ulimit \(name) soft limit \(ulimit.soft) is above its hard limit \(ulimit.hard)"
                )
            }
            let type = "RLIMIT_" + name.uppercased()
            var limit = OCIRuntimeSpec.Rlimit(type: type, hard: ulimit.hard, soft: ulimit.soft)
            if !host.canRaiseLimits, let ceiling = host.hardLimits[type], limit.hard > ceiling {
                warnings.append(
                    "container \(spec.id): ulimit \(name) hard \(limit.hard) lowered to \(ceiling), berthd's own hard limit "
                        + "(berthd lacks CAP_SYS_RESOURCE, so it cannot raise it)")
                limit.hard = ceiling
                limit.soft = min(limit.soft, ceiling)
            }
            return limit
        }
    }

    /// `/etc/hosts`: the localhost lines every image expects, then the extra hosts.
    static func hostsFile(for spec: LinuxContainerSpec) -> String {
        var text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        for entry in spec.extraHosts {
            text += entry.address + "\t" + entry.names.joined(separator: " ") + "\n"
        }
        return text
    }

    /// `/etc/resolv.conf`: the spec's resolvers, or the host's file as it is.
    static func resolvConf(for spec: LinuxContainerSpec, host: HostFacts) -> String {
        guard let dns = spec.dns else { return host.resolvConf }
        var text = dns.servers.map { "nameserver \($0)\n" }.joined()
        if !dns.search.isEmpty { text += "search " + dns.search.joined(separator: " ") + "\n" }
        if !dns.options.isEmpty { text += "options " + dns.options.joined(separator: " ") + "\n" }
        return text
    }
}
