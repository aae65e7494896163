/// The service settings Berth reads but does not apply, each with the
/// reason `up` prints in its `WARN:` line. The loader records which of them
/// a service sets (`Service.unapplied`); the planner turns them into notes.
/// `docs/compose-attributes.md` is the whole table (applied, applied
/// differently, not applied); its test holds the two together.
public enum ServiceAttributes {
    /// One setting Berth does not apply.
    public struct Unapplied: Sendable, Hashable {
        /// Where it is in a service: `cpu_count`, `deploy.placement`, or
        /// `volumes[].volume.subpath` (`[]`: any item of the list).
        public var path: String
        /// When only one value is not applied (`uts: host`); nil: any value.
        public var value: String?
        /// Values that are applied (`propagation: rprivate` is what Berth does).
        public var except: Set<String>
        /// Beginnings of values that are applied (`docker-image://…`).
        public var exceptPrefixes: [String]
        /// What the user gets instead, or why not.
        public var reason: String

        /// An entry from its parts.
        public init(
            _ path: String, value: String? = nil, except: Set<String> = [], exceptPrefixes: [String] = [],
            _ reason: String
        ) {
            self.path = path
            self.value = value
            self.except = except
            self.exceptPrefixes = exceptPrefixes
            self.reason = reason
        }

        /// Whether a setting of this value (nil: not a scalar) is one Berth does not apply.
        public func isUnapplied(_ text: String?) -> Bool {
            if let value { return text == value }
            return text.map { text in !except.contains(text) && !exceptPrefixes.contains { text.hasPrefix($0) } }
                ?? true
        }

        /// The setting as `up` names it: `cpu_count`, or `uts: host`.
        public var setting: String { value.map { "\(path): \($0)" } ?? path }
    }

    /// Every setting Berth reads and does not apply.
    public static let unapplied: [Unapplied] = [
        .init("annotations", "OCI annotations are not set on the container"),
        .init(
            "build.additional_contexts.*", exceptPrefixes: ["docker-image://"],
            "only docker-image:// contexts are given to the build"),
        .init("build.cache_from", "builds use berthd's own cache only"),
        .init("build.cache_to", "the build cache is not exported"),
        .init("build.entitlements", "builds get no extra entitlements"),
        .init("build.isolation", "a Windows setting"),
        .init("build.platforms[]", except: HostPlatform.names, "Berth builds for this host's platform only"),
        .init("build.privileged", value: "true", "RUN steps run without extra privileges"),
        .init("build.provenance", "no provenance attestation is made"),
        .init("build.sbom", "no SBOM attestation is made"),
        .init("build.secrets[].gid", "RUN --mount=type=secret,gid= sets the owner"),
        .init("build.secrets[].mode", "RUN --mount=type=secret,mode= sets the mode"),
        .init("build.secrets[].uid", "RUN --mount=type=secret,uid= sets the owner"),
        .init("build.ssh", "no SSH agent is forwarded to the build"),
        .init("cpu_count", "a Windows setting"),
        .init("cpu_percent", "a Windows setting"),
        .init("cpu_rt_period", "berthd's cgroup gives containers no real-time budget"),
        .init("cpu_rt_runtime", "berthd's cgroup gives containers no real-time budget"),
        .init("credential_spec", "a Windows setting"),
        .init("deploy.endpoint_mode", "a Swarm setting"),
        .init("deploy.labels", "a Swarm setting (labels: sets the container's)"),
        .init("deploy.mode", value: "global", "a Swarm setting; replicas: decides how many run"),
        .init("deploy.placement", "a Swarm setting"),
        .init("deploy.resources.reservations.cpus", "CPU reservations are not set"),
        .init("deploy.resources.reservations.devices", "devices are not given to the container"),
        .init("deploy.resources.reservations.generic_resources", "a Swarm setting"),
        .init("deploy.restart_policy.delay", "restarts back off as docker's restart: does"),
        .init("deploy.restart_policy.window", "restarts back off as docker's restart: does"),
        .init("deploy.rollback_config", "a Swarm setting"),
        .init("deploy.update_config", "a Swarm setting"),
        .init("develop", "berth has no watch"),
        .init("external_links", "containers outside the project are not linked"),
        .init("gpus", "GPUs are not given to the container"),
        .init("isolation", "a Windows setting"),
        .init("label_file", "labels are read from labels: only"),
        .init("models", "berth runs no models"),
        .init("networks.*.driver_opts", "per-container network options are not set"),
        .init("networks.*.gw_priority", "the default route goes through the first network"),
        .init("networks.*.interface_name", "interfaces are named eth0, eth1, … in order"),
        .init("networks.*.ipv6_address", "containers have IPv4 addresses only"),
        .init("networks.*.link_local_ips", "link-local addresses are not added"),
        .init("post_start[].privileged", value: "true", "hooks run with the container's own privileges"),
        .init("pre_stop[].privileged", value: "true", "hooks run with the container's own privileges"),
        .init("provider", "berth runs no providers"),
        .init("pull_refresh_after", "berth knows no pull_policy: refresh; every_<duration> refreshes"),
        .init("runtime", "containers always run under crun"),
        .init("storage_opt", "the writable layer is an overlay on berthd's disk, without a size"),
        .init("use_api_socket", "berth has no Docker API socket to mount"),
        .init("userns_mode", "the container runs without a user namespace"),
        .init("volumes[].bind.propagation", except: ["private", "rprivate"], "binds are private"),
        .init("volumes[].bind.selinux", "SELinux labels are not set"),
        .init("volumes[].consistency", "a Docker Desktop setting"),
    ]

    /// The entry for `setting` (`cpu_count`, `uts: host`), if Berth does not apply it.
    public static func unapplied(_ setting: String) -> Unapplied? {
        unapplied.first { $0.setting == setting }
    }
}

/// This machine's platform as compose's `platforms:` may name it.
enum HostPlatform {
    #if arch(arm64)
    static let names: Set<String> = ["linux/arm64", "linux/arm64/v8"]
    #else
    static let names: Set<String> = ["linux/amd64", "linux/amd64/v1", "linux/x86_64"]
    #endif
}
