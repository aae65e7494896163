import BerthModel

extension BundleBuilder {
    /// docker's default shm size: 64 MiB.
    public static let defaultShmSize: Int64 = 64 << 20

    /// The mounts in docker's order: the kernel filesystems, the three `/etc`
    /// files, tini, then the service's mounts, parents before children (a
    /// service mount that holds one of Berth's own goes before it).
    func mounts(for spec: LinuxContainerSpec, paths: ContainerPaths) throws -> [OCIRuntimeSpec.Mount] {
        typealias Mount = OCIRuntimeSpec.Mount
        let shm = spec.resources.shmSize ?? Self.defaultShmSize
        guard shm > 0 else {
            throw BerthError(.invalidSpec, "container \(spec.id): shm_size \(shm) must be positive")
        }
        var mounts: [Mount] = [
            Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            Mount(
                destination: "/dev", type: "tmpfs", source: "tmpfs",
                options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount(
                destination: "/dev/pts", type: "devpts", source: "devpts",
                options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            // A privileged container may write /sys (docker's rule).
            Mount(
                destination: "/sys", type: "sysfs", source: "sysfs",
                options: ["nosuid", "noexec", "nodev", spec.privileged ? "rw" : "ro"]),
            Mount(
                destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            Self.shmMount(spec, size: shm),
        ]
        // Bound, not copied into the rootfs: the network layer may rewrite
        // them while the container runs, and a read-only rootfs still
        // gets them (docker does the same).
        var own: [Mount] = [
            Mount(
                destination: "/etc/resolv.conf", type: "bind", source: paths.resolvConf, options: ["rbind", "rprivate"]),
            Mount(destination: "/etc/hostname", type: "bind", source: paths.hostname, options: ["rbind", "rprivate"]),
            Mount(destination: "/etc/hosts", type: "bind", source: paths.hosts, options: ["rbind", "rprivate"]),
        ]
        if spec.initProcess {
            own.append(
                Mount(
                    destination: Self.initPath, type: "bind", source: host.initBinary,
                    options: ["rbind", "ro", "rprivate"]))
        }
        // A service mount over a directory of these (a volume on /etc) goes
        // first, so that it does not hide them, as docker's mounts sort.
        let service = try serviceMounts(spec)
        let covers = { (mount: Mount) in own.contains { $0.destination.hasPrefix(mount.destination + "/") } }
        mounts += service.filter(covers) + own + service.filter { !covers($0) }
        return mounts
    }

    /// The service's binds, volumes and tmpfs mounts, sorted so that a
    /// parent is mounted before what sits inside it (docker sorts the same
    /// way; a child mounted first would be hidden by its parent).
    private func serviceMounts(_ spec: LinuxContainerSpec) throws -> [OCIRuntimeSpec.Mount] {
        var seen = Set<String>()
        let converted = try spec.mounts.map { mount -> OCIRuntimeSpec.Mount in
            let target = mount.target
            guard target.hasPrefix("/") else {
                throw BerthError(
                    .invalidSpec, "container \(spec.id): mount target \"\(target)\" is not an absolute path")
            }
            guard seen.insert(target).inserted else {
                throw BerthError(.invalidSpec, "container \(spec.id): two mounts at \(target)")
            }
            switch mount {
            case .bind(let source, _, let readOnly), .volume(let source, _, let readOnly):
                guard source.hasPrefix("/") else {
                    throw BerthError(
                        .invalidSpec,
                        "container \(spec.id): mount source \"\(source)\" for \(target) is not an absolute path")
                }
                return .init(
                    destination: target, type: "bind", source: source,
                    options: ["rbind", "rprivate"] + (readOnly ? ["ro"] : []))
            case .tmpfs(_, let size, let mode):
                var options = ["nosuid", "nodev", "noexec"]
                if let size {
                    guard size > 0 else {
                        throw BerthError(
                            .invalidSpec, "container \(spec.id): tmpfs size \(size) at \(target) must be positive")
                    }
                    options.append("size=\(size)")
                }
                if let mode { options.append("mode=" + String(mode, radix: 8)) }
                return .init(destination: target, type: "tmpfs", source: "tmpfs", options: options)
            }
        }
        return converted.enumerated().sorted { a, b in
            let depthA = a.element.destination.split(separator: "/").count
            let depthB = b.element.destination.split(separator: "/").count
            return depthA != depthB ? depthA < depthB : a.offset < b.offset
        }.map(\.element)
    }

    /// `/dev/shm`: a tmpfs of its own, or with the host's IPC namespace the
    /// host's `/dev/shm`, as docker does.
    static func shmMount(_ spec: LinuxContainerSpec, size: Int64) -> OCIRuntimeSpec.Mount {
        switch spec.ipcNamespace {
        case .host:
            return .init(destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind", "rprivate"])
        case .own, .join:
            return .init(
                destination: "/dev/shm", type: "tmpfs", source: "shm",
                options: ["nosuid", "noexec", "nodev", "mode=1777", "size=\(size)"])
        }
    }

    /// mount is always new; uts and cgroup are new or (`host`) the host's;
    /// pid and ipc are new, the host's (absent) or another container's (by
    /// path); the network one is
    /// new (`none`), joined by path (a bridge network), or the host's (absent).
    static func namespaces(for spec: LinuxContainerSpec) -> [OCIRuntimeSpec.Namespace] {
        func namespace(_ type: String, _ mode: LinuxContainerSpec.Namespace) -> [OCIRuntimeSpec.Namespace] {
            switch mode {
            case .own: return [.init(type: type)]
            case .host: return []
            case .join(let path): return [.init(type: type, path: path)]
            }
        }
        var namespaces = namespace("pid", spec.pidNamespace) + [.init(type: "mount")]
        namespaces += namespace("ipc", spec.ipcNamespace) + namespace("uts", spec.hostUTS ? .host : .own)
        if !spec.hostCgroupNamespace { namespaces.append(.init(type: "cgroup")) }
        switch spec.network {
        case .none: namespaces.append(.init(type: "network"))
        case .namespace(let path): namespaces.append(.init(type: "network", path: path))
        case .host: break
        }
        return namespaces
    }

    /// docker's device cgroup: deny all, allow mknod of any, and read/write
    /// the devices every container gets (null, zero, full, random, urandom,
    /// tty, console, ptmx, the pts, tun).
    static let deviceRules: [OCIRuntimeSpec.DeviceRule] = [
        .init(allow: false),
        .init(allow: true, type: "c", access: "m"),
        .init(allow: true, type: "b", access: "m"),
        .init(allow: true, type: "c", major: 1, minor: 3),
        .init(allow: true, type: "c", major: 1, minor: 5),
        .init(allow: true, type: "c", major: 1, minor: 7),
        .init(allow: true, type: "c", major: 1, minor: 8),
        .init(allow: true, type: "c", major: 1, minor: 9),
        .init(allow: true, type: "c", major: 5, minor: 0),
        .init(allow: true, type: "c", major: 5, minor: 1),
        .init(allow: true, type: "c", major: 5, minor: 2),
        .init(allow: true, type: "c", major: 136),
        .init(allow: true, type: "c", major: 10, minor: 200),
    ]
}
