import BerthModel
import Foundation

extension BundleBuilder {
    /// docker's default capability set, in docker's order.
    public static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// Every capability Linux defines, indexed by its number.
    public static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Paths docker hides from an unprivileged container (files under
    /// /dev/null, directories under an empty read-only tmpfs): kernel state
    /// that leaks host information or lets a container poke the host.
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]

    /// Paths docker remounts read-only in an unprivileged container.
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The capability list by docker's rules (`oci/caps.TweakCapabilities`):
    /// privileged or `cap_add: [ALL]` is every capability less `cap_drop`;
    /// `cap_drop: [ALL]` is only `cap_add`; otherwise the default set less
    /// `cap_drop` plus `cap_add`. Names may omit `CAP_` and any case is
    /// accepted. A capability berthd itself lacks is dropped with a warning:
    /// crun could not grant it anyway.
    func capabilities(for spec: LinuxContainerSpec, warnings: inout [String]) throws -> [String] {
        let known = Array(
            Self.allCapabilities.prefix(max(0, min(host.lastCapability, Self.allCapabilities.count - 1)) + 1))
        let add = try spec.capAdd.map { try Self.normalize($0, field: "cap_add", container: spec.id) }
        let drop = try spec.capDrop.map { try Self.normalize($0, field: "cap_drop", container: spec.id) }
        var caps: [String]
        if spec.privileged || add.contains("ALL") {
            caps = known.filter { !drop.contains($0) }
        } else if drop.contains("ALL") {
            caps = add
        } else {
            caps = Self.defaultCapabilities.filter { !drop.contains($0) } + add
        }
        var seen = Set<String>()
        caps = caps.filter { seen.insert($0).inserted }
        let lacking = caps.filter { name in
            guard let number = Self.allCapabilities.firstIndex(of: name) else { return true }
            return !host.boundingSet.contains(number) || number > host.lastCapability
        }
        // Only a capability the service asked for by name deserves a warning;
        // "every capability" quietly means every one berthd has.
        for name in lacking where add.contains(name) {
            warnings.append(
                "container \(spec.id): cap_add \(name) ignored: berthd itself lacks it, so crun cannot grant it")
        }
        return caps.filter { !lacking.contains($0) }
    }

    /// `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` alike, or `ALL`.
    private static func normalize(_ name: String, field: String, container: ContainerID) throws -> String {
        let upper = name.uppercased()
        if upper == "ALL" { return upper }
        let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        guard allCapabilities.contains(full) else {
            throw BerthError(.invalidSpec, "container \(container): \(field) names unknown capability \"\(name)\"")
        }
        return full
    }

    /// sysctls that a container's own namespaces scope, as docker and runc
    /// allow them: anything else would change the host for everyone.
    static func sysctls(for spec: LinuxContainerSpec) throws -> [String: String]? {
        guard !spec.sysctls.isEmpty else { return nil }
        let ipc: Set<String> = [
            "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
            "kernel.shmmni", "kernel.shm_rmid_forced",
        ]
        for key in spec.sysctls.keys.sorted() {
            if ipc.contains(key) || key.hasPrefix("fs.mqueue.") {
                if spec.ipcNamespace != .own {
                    throw BerthError(
                        .invalidSpec,
                        "container \(spec.id): sysctl \(key) is not allowed with a shared ipc namespace: "
                            + "it would change the one it shares")
                }
                continue
            }
            if key == "kernel.domainname" { continue }
            if key.hasPrefix("net.") {
                if spec.network == .host {
                    throw BerthError(
                        .invalidSpec,
                        "container \(spec.id): sysctl \(key) is not allowed with network_mode host: it would change the host's network"
                    )
                }
                continue
            }
            throw BerthError(
                .invalidSpec,
                "container \(spec.id): sysctl \(key) is not namespaced: setting it would change the whole host")
        }
        return spec.sysctls
    }

    /// The sysctls with `domainname` as `kernel.domainname` (docker sets the
    /// NIS domain name so), unless the service sets that sysctl itself.
    static func sysctlsWithDomainname(for spec: LinuxContainerSpec) throws -> [String: String]? {
        var sysctls = try sysctls(for: spec) ?? [:]
        if spec.hostUTS, sysctls["kernel.domainname"] != nil {
            throw BerthError(
                .invalidSpec,
                "container \(spec.id): sysctl kernel.domainname is not allowed with uts: host: it would change the host's"
            )
        }
        if let domainname = spec.domainname, !domainname.isEmpty, !spec.hostUTS, sysctls["kernel.domainname"] == nil {
            sysctls["kernel.domainname"] = domainname
        }
        return sysctls.isEmpty ? nil : sysctls
    }
}

extension BundleBuilder {
    /// The syscall filter, as docker sets it: none for a privileged
    /// container or `seccomp=unconfined`, the service's profile when it
    /// names one, else docker's default profile, each cut to this
    /// container's capabilities (`SeccompProfile`).
    func seccomp(for spec: LinuxContainerSpec, capabilities: [String]) throws -> OCIRuntimeSpec.Seccomp? {
        if spec.privileged || spec.seccompProfile == "unconfined" { return nil }
        let what = "container \(spec.id)"
        let profile: SeccompProfile
        if let path = spec.seccompProfile {
            profile = try SeccompProfile.load(path, what: what)
        } else if let path = host.seccompProfile {
            guard FileManager.default.fileExists(atPath: path) else {
                throw BerthError(
                    .notFound,
                    "\(what): docker's default seccomp profile is not installed at \(path); scripts/setup.sh "
                        + "installs it (from Debian's golang-github-docker-docker-dev), or give the service "
                        + "security_opt: [seccomp=unconfined]")
            }
            profile = try SeccompProfile.installed(path, what: what)
        } else {
            return nil
        }
        return profile.forContainer(capabilities: capabilities, kernel: host.kernelRelease)
    }

    /// `apparmor=…`/`label=…` options: Berth loads no LSM profile, and says
    /// so, naming whether the host even has that module.
    func securityModuleWarnings(for spec: LinuxContainerSpec) -> [String] {
        spec.securityModuleOptions.map { option in
            let module = option.hasPrefix("apparmor") ? "apparmor" : "selinux"
            let name = module == "apparmor" ? "AppArmor" : "SELinux"
            return host.securityModules.contains(module)
                ? "security_opt \(option) is not applied: Berth does not load \(name) profiles"
                : "security_opt \(option) is not applied: this host has no \(name)"
        }
    }
}
