import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the bundle builder needs to know about the host, read once so that
/// `BundleBuilder` stays a pure function that tests feed by hand.
public struct HostFacts: Hashable, Sendable {
    /// berthd's own hard rlimits, by `RLIMIT_*` name.
    public var hardLimits: [String: UInt64]
    /// Whether berthd holds CAP_SYS_RESOURCE: without it no rlimit can be
    /// raised above berthd's own hard limit, so the builder clamps.
    public var canRaiseLimits: Bool
    /// berthd's capability bounding set, by number: a container can hold no
    /// capability its parent lacks.
    public var boundingSet: Set<Int>
    /// `/proc/sys/kernel/cap_last_cap`: the highest capability this kernel knows.
    public var lastCapability: Int
    /// Whether the memory cgroup accounts swap (`memory.memsw.*` on v1):
    /// docker's "swap = 2 × memory" default needs it.
    public var swapAccounting: Bool
    /// The host's `/etc/resolv.conf`, copied when a container has no DNS of its own.
    public var resolvConf: String
    /// The static init (tini) bound into a container with `init: true`.
    public var initBinary: String
    /// The host's name: a container with `uts: host` has it.
    public var hostName = "localhost"
    /// Whether the kernel has block I/O weights (`blkio.weight` or
    /// `blkio.bfq.weight` on v1, `io.weight` on v2): not without CFQ or BFQ.
    public var blockIOWeight = false
    /// Whether the kernel has block I/O throttles (`blkio.throttle.*` on v1, `io.max` on v2).
    public var blockIOThrottle = false
    /// docker's default seccomp profile (moby's `default.json`, which
    /// scripts/setup.sh installs from Debian); nil: containers get none
    /// unless their service names one (only tests build bundles so).
    public var seccompProfile: String?
    /// The kernel's release (`uname -r`), for the profile's `minKernel`.
    public var kernelRelease = ""
    /// The Linux security modules the host runs (`apparmor`, `selinux`).
    public var securityModules: Set<String> = []

    /// Where scripts/setup.sh puts docker's default seccomp profile.
    public static let defaultSeccompProfile = "/usr/share/berth/seccomp/default.json"

    /// Facts from their parts (tests).
    public init(
        hardLimits: [String: UInt64], canRaiseLimits: Bool, boundingSet: Set<Int>, lastCapability: Int,
        swapAccounting: Bool, resolvConf: String, initBinary: String
    ) {
        self.hardLimits = hardLimits
        self.canRaiseLimits = canRaiseLimits
        self.boundingSet = boundingSet
        self.lastCapability = lastCapability
        self.swapAccounting = swapAccounting
        self.resolvConf = resolvConf
        self.initBinary = initBinary
    }

    /// The rlimits compose knows (`ulimits:` keys), with their kernel numbers.
    static let rlimits: [(name: String, resource: Int32)] = [
        ("as", 9), ("core", 4), ("cpu", 0), ("data", 2), ("fsize", 1), ("locks", 10), ("memlock", 8),
        ("msgqueue", 12), ("nice", 13), ("nofile", 7), ("nproc", 6), ("rss", 5), ("rtprio", 14),
        ("rttime", 15), ("sigpending", 11), ("stack", 3),
    ]

    /// Reads the facts of this host and process.
    public static func current(initBinary: String = "/usr/bin/tini-static") -> HostFacts {
        var limits: [String: UInt64] = [:]
        for (name, resource) in rlimits {
            var value = rlimit()
            if getrlimit(__rlimit_resource_t(UInt32(resource)), &value) == 0 {
                limits["RLIMIT_" + name.uppercased()] = UInt64(value.rlim_max)
            }
        }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let effective = capabilityMask(named: "CapEff", in: status)
        let bounding = capabilityMask(named: "CapBnd", in: status)
        let last =
            Int(
                (try? String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 40
        let sysResource = 24
        var facts = HostFacts(
            hardLimits: limits,
            canRaiseLimits: effective & (1 << UInt64(sysResource)) != 0,
            boundingSet: Set((0...63).filter { bounding & (1 << UInt64($0)) != 0 }),
            lastCapability: last,
            swapAccounting: FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
                || FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.subtree_control"),
            resolvConf: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "",
            initBinary: initBinary)
        let exists = { (path: String) in FileManager.default.fileExists(atPath: "/sys/fs/cgroup/" + path) }
        let v2IO =
            ((try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.controllers", encoding: .utf8)) ?? "")
            .split(separator: " ").contains { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "io" }
        facts.blockIOWeight = exists("blkio/blkio.weight") || exists("blkio/blkio.bfq.weight") || v2IO
        facts.blockIOThrottle = exists("blkio/blkio.throttle.read_bps_device") || v2IO
        facts.seccompProfile = defaultSeccompProfile
        var system = utsname()
        if uname(&system) == 0 {
            facts.kernelRelease = withUnsafeBytes(of: system.release) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        if FileManager.default.fileExists(atPath: "/sys/kernel/security/apparmor")
            || ((try? String(contentsOfFile: "/sys/module/apparmor/parameters/enabled", encoding: .utf8)) ?? "")
                .hasPrefix("Y")
        {
            facts.securityModules.insert("apparmor")
        }
        if FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce") { facts.securityModules.insert("selinux") }
        var name = [CChar](repeating: 0, count: 256)
        if gethostname(&name, name.count - 1) == 0 {
            facts.hostName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return facts
    }

    /// A `Cap*:` line of /proc/self/status as a bit mask.
    private static func capabilityMask(named key: String, in status: String) -> UInt64 {
        for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
            let hex = line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
            return UInt64(hex, radix: 16) ?? 0
        }
        return 0
    }
}

/// Where one container's files live: `<root>/containers/<id>/`.
///
/// The directory is the OCI bundle (`config.json`), holds the overlay's
/// `upper`/`work` and its mount point `rootfs`, the files bound over
/// `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf`, and what the shim
/// writes: `json.log` (rotated to `json.log.1`, …), `shim.pid`,
/// `container.pid`, `crun.log` and, last, `exit.json`.
public struct ContainerPaths: Hashable, Sendable {
    /// The container's directory.
    public let directory: String

    /// The paths of container `id` under the driver root `root`.
    public init(root: String, id: ContainerID) {
        directory = root + "/containers/" + id.rawValue
    }

    /// The OCI config.
    public var config: String { directory + "/config.json" }
    /// The overlay's mount point: the container's `/`.
    public var rootfs: String { directory + "/rootfs" }
    /// The writable layer.
    public var upper: String { directory + "/upper" }
    /// overlayfs's scratch directory (same filesystem as `upper`).
    public var work: String { directory + "/work" }
    /// Bound over `/etc/hosts`.
    public var hosts: String { directory + "/hosts" }
    /// Bound over `/etc/hostname`.
    public var hostname: String { directory + "/hostname" }
    /// Bound over `/etc/resolv.conf`.
    public var resolvConf: String { directory + "/resolv.conf" }
    /// The live json-file log.
    public var log: String { directory + "/json.log" }
    /// The init's standard input, when it has one (the shim opens it).
    public var standardInput: String { directory + "/stdin" }
    /// The exit record the shim writes when the container's init exits.
    public var exitFile: String { directory + "/exit.json" }
    /// The shim's pid, while it runs.
    public var shimPid: String { directory + "/shim.pid" }
    /// The container init's pid, as crun wrote it.
    public var containerPid: String { directory + "/container.pid" }
}
