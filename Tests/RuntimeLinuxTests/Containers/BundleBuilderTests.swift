import BerthModel
import Foundation
import Testing

@testable import RuntimeLinux

/// The bundle builder's rules, without root: it is a pure function.
struct BundleBuilderTests {
    static let host = HostFacts(
        hardLimits: ["RLIMIT_NOFILE": 20000, "RLIMIT_NPROC": 4096], canRaiseLimits: false,
        boundingSet: Set(0...40).subtracting([24]), lastCapability: 40, swapAccounting: true,
        resolvConf: "nameserver 10.0.0.1\n", initBinary: "/usr/bin/tini-static")
    let builder = BundleBuilder(host: Self.host)
    let id: ContainerID
    let paths: ContainerPaths
    let user = ResolvedUser(uid: 0, gid: 0, home: "/root")

    init() throws {
        id = try #require(ContainerID("web-1"))
        paths = ContainerPaths(root: "/var/lib/berth", id: id)
    }

    func spec(_ image: LinuxContainerSpec.Image = .init(cmd: ["nginx"])) -> LinuxContainerSpec {
        LinuxContainerSpec(id: id, image: image, layers: ["/layers/a"])
    }

    func build(_ spec: LinuxContainerSpec) throws -> OCIBundle {
        try builder.build(spec, user: user, paths: paths)
    }

    @Test func commandAndEntrypointFollowDockersPrecedence() throws {
        let image = LinuxContainerSpec.Image(entrypoint: ["/entry"], cmd: ["image-cmd"])
        var s = spec(image)
        #expect(try BundleBuilder.arguments(for: s) == ["/entry", "image-cmd"])
        s.command = ["svc-cmd"]
        #expect(try BundleBuilder.arguments(for: s) == ["/entry", "svc-cmd"])
        s.command = nil
        s.entrypoint = ["/svc-entry"]
        #expect(try BundleBuilder.arguments(for: s) == ["/svc-entry"])
        s.command = ["arg"]
        #expect(try BundleBuilder.arguments(for: s) == ["/svc-entry", "arg"])
        s.entrypoint = []
        s.command = ["only"]
        #expect(try BundleBuilder.arguments(for: s) == ["only"])
    }

    @Test func noCommandAtAllIsAnError() throws {
        var s = spec(.init(entrypoint: nil, cmd: ["x"]))
        s.entrypoint = []
        let error = #expect(throws: BerthError.self) { try BundleBuilder.arguments(for: s) }
        #expect(
            error?.message
                == "container web-1: no command to run (neither the image nor the service sets an entrypoint or command)"
        )
    }

    @Test func environmentIsImageThenServiceWithDefaults() throws {
        var s = spec(.init(cmd: ["x"], env: ["A=image", "B=image", "PATH=/image/bin"]))
        s.environment = ["B=service", "C=service", "A"]
        s.hostname = "h"
        #expect(
            try build(s).spec.process.env == ["HOSTNAME=h", "B=service", "PATH=/image/bin", "C=service", "HOME=/root"])
        let bare = spec(.init(cmd: ["x"], env: ["HOME=/custom"]))
        #expect(try build(bare).spec.process.env == [BundleBuilder.defaultPath, "HOSTNAME=web-1", "HOME=/custom"])
    }

    @Test func defaultCapabilitiesAreDockersExactList() throws {
        let caps = try #require(try build(spec()).spec.process.capabilities)
        #expect(
            caps.bounding == [
                "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
                "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
                "CAP_AUDIT_WRITE",
            ])
        #expect(caps.effective == caps.bounding && caps.permitted == caps.bounding)
        #expect(caps.inheritable.isEmpty && caps.ambient.isEmpty)
    }

    @Test func capAddAndCapDropFollowDockersRules() throws {
        var s = spec()
        s.capAdd = ["net_admin", "CAP_SYS_PTRACE"]
        s.capDrop = ["MKNOD", "cap_net_raw"]
        let caps = try build(s).spec.process.capabilities?.bounding ?? []
        #expect(caps.contains("CAP_NET_ADMIN") && caps.contains("CAP_SYS_PTRACE"))
        #expect(!caps.contains("CAP_MKNOD") && !caps.contains("CAP_NET_RAW"))

        s.capAdd = ["CHOWN"]
        s.capDrop = ["ALL"]
        #expect(try build(s).spec.process.capabilities?.bounding == ["CAP_CHOWN"])

        s.capAdd = ["ALL"]
        s.capDrop = ["SYS_ADMIN"]
        let all = try build(s).spec.process.capabilities?.bounding ?? []
        #expect(all.count == 39)  // 41 known, less SYS_RESOURCE (not ours to give) and SYS_ADMIN
        #expect(!all.contains("CAP_SYS_ADMIN") && !all.contains("CAP_SYS_RESOURCE"))
    }

    @Test func unknownCapabilityIsAnErrorAndOneWeLackIsAWarning() throws {
        var s = spec()
        s.capAdd = ["FLY"]
        let error = #expect(throws: BerthError.self) { try build(s) }
        #expect(error?.message == "container web-1: cap_add names unknown capability \"FLY\"")
        s.capAdd = ["SYS_RESOURCE"]
        let bundle = try build(s)
        #expect(!(bundle.spec.process.capabilities?.bounding.contains("CAP_SYS_RESOURCE") ?? true))
        #expect(
            bundle.warnings == [
                "container web-1: cap_add CAP_SYS_RESOURCE ignored: berthd itself lacks it, so crun cannot grant it"
            ])
    }

    @Test func privilegedGetsEveryCapabilityAndNothingMasked() throws {
        var s = spec()
        s.privileged = true
        let bundle = try build(s)
        #expect(bundle.spec.process.capabilities?.bounding.count == 40)
        #expect(bundle.spec.linux.maskedPaths == nil && bundle.spec.linux.readonlyPaths == nil)
        #expect(bundle.spec.linux.resources?.devices == [.init(allow: true)])
        #expect(bundle.spec.mounts.first { $0.destination == "/sys" }?.options?.contains("rw") == true)
    }

    @Test func unprivilegedHasDockersMaskedAndReadonlyPaths() throws {
        let linux = try build(spec()).spec.linux
        #expect(linux.maskedPaths?.contains("/proc/kcore") == true)
        #expect(linux.maskedPaths?.contains("/sys/firmware") == true)
        #expect(linux.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
        #expect(linux.resources?.devices?.first == .init(allow: false))
    }

    @Test func ulimitsAreClampedToBerthdsHardLimitWithAWarning() throws {
        var s = spec()
        s.ulimits = [.init(name: "nofile", soft: 65536, hard: 65536), .init(name: "nproc", soft: 100, hard: 200)]
        let bundle = try build(s)
        #expect(
            bundle.spec.process.rlimits == [
                .init(type: "RLIMIT_NOFILE", hard: 20000, soft: 20000),
                .init(type: "RLIMIT_NPROC", hard: 200, soft: 100),
            ])
        #expect(bundle.warnings.count == 1)
        #expect(bundle.warnings.first?.contains("ulimit nofile hard 65536 lowered to 20000") == true)
        s.ulimits = [.init(name: "nofile", soft: 10, hard: 5)]
        #expect(throws: BerthError.self) { try build(s) }
    }

    @Test func mountsIncludeTheKernelFilesystemsEtcFilesAndServiceMounts() throws {
        var s = spec()
        s.resources.shmSize = 1 << 20
        s.mounts = [
            .bind(source: "/srv/a/b", target: "/data/deep", readOnly: true),
            .volume(source: "/var/lib/berth/volumes/v", target: "/data", readOnly: false),
            .tmpfs(target: "/run", size: 4096, mode: 0o1777),
        ]
        let mounts = try build(s).spec.mounts
        #expect(
            mounts.map(\.destination) == [
                "/proc", "/dev", "/dev/pts", "/sys", "/dev/mqueue", "/dev/shm", "/etc/resolv.conf", "/etc/hostname",
                "/etc/hosts", "/data", "/run", "/data/deep",
            ])
        #expect(mounts[5].options?.last == "size=1048576")
        #expect(mounts[6].source == paths.resolvConf)
        #expect(mounts.last?.options == ["rbind", "rprivate", "ro"])
        #expect(mounts[10].options == ["nosuid", "nodev", "noexec", "size=4096", "mode=1777"])
        let defaults = try build(spec()).spec.mounts.first { $0.destination == "/dev/shm" }
        #expect(defaults?.options?.last == "size=67108864")
    }

    @Test func initBindsTiniAndPrefixesTheCommand() throws {
        var s = spec()
        s.initProcess = true
        let bundle = try build(s)
        #expect(bundle.spec.process.args == ["/sbin/docker-init", "--", "nginx"])
        #expect(
            bundle.spec.mounts.contains(
                .init(
                    destination: "/sbin/docker-init", type: "bind", source: "/usr/bin/tini-static",
                    options: ["rbind", "ro", "rprivate"])))
    }

    @Test func namespacesFollowTheNetworkMode() throws {
        var s = spec()
        s.network = .namespace(path: "/run/netns/berth-x")
        #expect(try build(s).spec.linux.namespaces.map(\.type) == ["pid", "mount", "ipc", "uts", "cgroup", "network"])
        #expect(try build(s).spec.linux.namespaces.last?.path == "/run/netns/berth-x")
        s.network = .host
        #expect(!(try build(s).spec.linux.namespaces.contains { $0.type == "network" }))
    }

    @Test func pidAndIPCNamespacesOfTheHostOrAnotherContainer() throws {
        var s = spec()
        s.pidNamespace = .host
        s.ipcNamespace = .host
        var bundle = try build(s)
        #expect(bundle.spec.linux.namespaces.map(\.type) == ["mount", "uts", "cgroup", "network"])
        #expect(
            bundle.spec.mounts.first { $0.destination == "/dev/shm" }
                == .init(destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind", "rprivate"]))
        s.pidNamespace = .join(path: "/proc/42/ns/pid")
        s.ipcNamespace = .join(path: "/proc/42/ns/ipc")
        bundle = try build(s)
        #expect(
            bundle.spec.linux.namespaces.filter { $0.path != nil }.map { "\($0.type) \($0.path ?? "")" } == [
                "pid /proc/42/ns/pid", "ipc /proc/42/ns/ipc",
            ])
        #expect(bundle.spec.mounts.first { $0.destination == "/dev/shm" }?.type == "tmpfs")
        // IPC sysctls would change the namespace it shares.
        s.sysctls = ["kernel.shmmax": "1000"]
        let error = #expect(throws: BerthError.self) { try build(s) }
        #expect(error?.message.contains("shared ipc namespace") == true)
    }

    @Test func resourcesBecomeCgroupLimits() throws {
        var s = spec()
        s.resources = .init(memoryLimit: 32 << 20, cpus: 1.5, pidsLimit: 64)
        let linux = try build(s).spec.linux
        #expect(linux.resources?.memory == .init(limit: 32 << 20, swap: 64 << 20))
        #expect(linux.resources?.cpu == .init(quota: 150_000, period: 100_000))
        #expect(linux.resources?.pids == .init(limit: 64))
        #expect(linux.cgroupsPath == "/berth/web-1")
    }

    @Test func dockersOtherResourceSettingsBecomeCgroupSettings() throws {
        var s = spec()
        s.resources = .init(memoryLimit: 64 << 20, memorySwap: 96 << 20, cpus: 0.5)
        s.resources.memoryReservation = 16 << 20
        s.resources.memorySwappiness = 10
        s.resources.oomKillDisable = true
        s.resources.oomScoreAdj = 500
        s.resources.cpuShares = 512
        s.resources.cpuset = "0"
        s.resources.cpuPeriod = 50_000
        let bundle = try build(s)
        var memory = OCIRuntimeSpec.Memory(limit: 64 << 20, swap: 96 << 20)
        memory.reservation = 16 << 20
        memory.swappiness = 10
        memory.disableOOMKiller = true
        #expect(bundle.spec.linux.resources?.memory == memory)
        // cpus over the period given: half of 50 ms.
        var cpu = OCIRuntimeSpec.CPU(quota: 25_000, period: 50_000)
        cpu.shares = 512
        cpu.cpus = "0"
        #expect(bundle.spec.linux.resources?.cpu == cpu)
        #expect(bundle.spec.process.oomScoreAdj == 500)
        #expect(bundle.warnings == [])
    }

    @Test func aQuotaWinsOverCpusAndAReservationAloneIsSet() throws {
        var s = spec()
        s.resources = .init(cpus: 2)
        s.resources.cpuQuota = 30_000
        s.resources.memoryReservation = 8 << 20
        let resources = try build(s).spec.linux.resources
        #expect(resources?.cpu == .init(quota: 30_000, period: 100_000))
        var memory = OCIRuntimeSpec.Memory(limit: nil, swap: nil)
        memory.reservation = 8 << 20
        #expect(resources?.memory == memory)
    }

    @Test func whatBerthdCannotGrantIsAWarning() throws {
        var s = spec()
        s.resources.oomScoreAdj = -500
        s.resources.memorySwap = 1 << 30
        let bundle = try build(s)
        #expect(bundle.spec.process.oomScoreAdj == nil)
        #expect(bundle.spec.linux.resources?.memory == nil)
        #expect(
            bundle.warnings == [
                "container web-1: oom_score_adj -500 is not applied: lowering it needs CAP_SYS_RESOURCE, which berthd lacks",
                "container web-1: memswap_limit 1073741824 is not applied: it needs a memory limit (mem_limit), as docker's",
            ])
    }

    @Test func blockIOLimitsAreSetAndAWeightTheKernelLacksIsAWarning() throws {
        var host = Self.host
        host.blockIOThrottle = true
        var s = spec()
        var blockIO = LinuxContainerSpec.BlockIO()
        blockIO.weight = 300
        blockIO.readBps = [.init(major: 7, minor: 0, value: 1 << 20)]
        blockIO.writeIops = [.init(major: 7, minor: 0, value: 30)]
        s.resources.blockIO = blockIO
        let bundle = try BundleBuilder(host: host).build(s, user: user, paths: paths)
        var expected = OCIRuntimeSpec.BlockIO()
        expected.throttleReadBpsDevice = [.init(major: 7, minor: 0, rate: 1 << 20)]
        expected.throttleWriteIOPSDevice = [.init(major: 7, minor: 0, rate: 30)]
        #expect(bundle.spec.linux.resources?.blockIO == expected)
        #expect(
            bundle.warnings == [
                "container web-1: blkio_config weight is not applied: this kernel has no block I/O weight "
                    + "(blkio.weight; it needs the CFQ or BFQ scheduler)"
            ])
        host.blockIOWeight = true
        let weighted = try BundleBuilder(host: host).build(s, user: user, paths: paths)
        #expect(weighted.spec.linux.resources?.blockIO?.weight == 300)
        #expect(weighted.warnings == [])
    }

    @Test func onlyNamespacedSysctlsAreAllowed() throws {
        var s = spec()
        s.sysctls = ["net.ipv4.ip_forward": "1", "kernel.shmmax": "1000"]
        #expect(try build(s).spec.linux.sysctl?.count == 2)
        s.sysctls = ["vm.swappiness": "0"]
        let error = #expect(throws: BerthError.self) { try build(s) }
        #expect(
            error?.message
                == "container web-1: sysctl vm.swappiness is not namespaced: setting it would change the whole host")
        s.sysctls = ["net.core.somaxconn": "1024"]
        s.network = .host
        #expect(throws: BerthError.self) { try build(s) }
    }

    @Test func etcFilesAndConfigJSON() throws {
        var s = spec()
        s.extraHosts = [.init(address: "10.1.0.5", names: ["db", "db.local"])]
        s.dns = .init(servers: ["10.1.0.1"], search: ["berth"], options: ["ndots:0"])
        s.readOnlyRootfs = true
        s.noNewPrivileges = true
        let bundle = try build(s)
        #expect(bundle.hosts.hasSuffix("10.1.0.5\tdb db.local\n"))
        #expect(bundle.resolvConf == "nameserver 10.1.0.1\nsearch berth\noptions ndots:0\n")
        #expect(bundle.hostname == "web-1\n")
        #expect(try build(spec()).resolvConf == "nameserver 10.0.0.1\n")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(bundle.spec), as: UTF8.self)
        #expect(json.contains(#""root":{"path":"/var/lib/berth/containers/web-1/rootfs","readonly":true}"#))
        #expect(json.contains(#""noNewPrivileges":true"#))
        #expect(json.contains(#""ociVersion":"1.0.2""#))
        #expect(try JSONDecoder().decode(OCIRuntimeSpec.self, from: Data(json.utf8)) == bundle.spec)
    }
}
