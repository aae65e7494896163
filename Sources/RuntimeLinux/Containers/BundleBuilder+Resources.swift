import BerthModel

extension BundleBuilder {
    /// Memory, CPU, pids and docker's device rules, as docker's daemon sets
    /// them (`daemon/oci_linux.go`); crun writes them to the container's
    /// cgroup files (`memory.soft_limit_in_bytes`, `cpu.shares`, …).
    func resources(for spec: LinuxContainerSpec, warnings: inout [String]) throws -> OCIRuntimeSpec.Resources {
        let r = spec.resources
        var resources = OCIRuntimeSpec.Resources(
            memory: memory(for: spec, warnings: &warnings), cpu: Self.cpu(r),
            pids: r.pidsLimit.map { .init(limit: $0) },
            devices: try Self.deviceCgroup(for: spec))
        resources.blockIO = blockIO(for: spec, warnings: &warnings)
        return resources
    }

    /// `blkio_config` as docker sets it, less what this kernel lacks (weights
    /// without CFQ or BFQ), which is dropped with a warning, as docker's.
    func blockIO(for spec: LinuxContainerSpec, warnings: inout [String]) -> OCIRuntimeSpec.BlockIO? {
        guard let b = spec.resources.blockIO else { return nil }
        var oci = OCIRuntimeSpec.BlockIO()
        if b.weight != nil || !b.weightDevice.isEmpty {
            if host.blockIOWeight {
                oci.weight = b.weight
                if !b.weightDevice.isEmpty {
                    oci.weightDevice = b.weightDevice.map {
                        .init(major: $0.major, minor: $0.minor, weight: UInt16(clamping: $0.value))
                    }
                }
            } else {
                warnings.append(
                    "container \(spec.id): blkio_config weight is not applied: this kernel has no block I/O weight "
                        + "(blkio.weight; it needs the CFQ or BFQ scheduler)")
            }
        }
        let throttles = [b.readBps, b.writeBps, b.readIops, b.writeIops]
        if throttles.contains(where: { !$0.isEmpty }) {
            if host.blockIOThrottle {
                func list(_ devices: [LinuxContainerSpec.BlockIO.Device]) -> [OCIRuntimeSpec.BlockIO.ThrottleDevice]? {
                    devices.isEmpty ? nil : devices.map { .init(major: $0.major, minor: $0.minor, rate: $0.value) }
                }
                oci.throttleReadBpsDevice = list(b.readBps)
                oci.throttleWriteBpsDevice = list(b.writeBps)
                oci.throttleReadIOPSDevice = list(b.readIops)
                oci.throttleWriteIOPSDevice = list(b.writeIops)
            } else {
                warnings.append(
                    "container \(spec.id): blkio_config device limits are not applied: this kernel has no block I/O throttling"
                )
            }
        }
        return oci == OCIRuntimeSpec.BlockIO() ? nil : oci
    }

    /// The device cgroup: every device when privileged; else docker's
    /// defaults, the service's devices with their permissions, and its
    /// `device_cgroup_rules`.
    static func deviceCgroup(for spec: LinuxContainerSpec) throws -> [OCIRuntimeSpec.DeviceRule] {
        if spec.privileged { return [.init(allow: true)] }
        var rules = deviceRules
        rules += spec.devices.map {
            .init(allow: true, type: $0.type, major: $0.major, minor: $0.minor, access: $0.permissions)
        }
        rules += try spec.deviceCgroupRules.map { try deviceRule($0, container: spec.id) }
        return rules
    }

    /// One rule as the kernel's devices.allow takes it: `TYPE MAJOR:MINOR ACCESS`,
    /// TYPE `a`, `c` or `b`, a number or `*` for each of MAJOR and MINOR.
    static func deviceRule(_ text: String, container: ContainerID) throws -> OCIRuntimeSpec.DeviceRule {
        let invalid = BerthError(
            .invalidSpec,
            "container \(container): device_cgroup_rules entry \"\(text)\" is not TYPE MAJOR:MINOR ACCESS (as c 1:3 rwm)"
        )
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count == 3, ["a", "c", "b"].contains(words[0]), !words[2].isEmpty,
            words[2].allSatisfy({ "rwm".contains($0) })
        else { throw invalid }
        let numbers = words[1].split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2 else { throw invalid }
        func number(_ part: Substring) throws -> Int64? {
            if part == "*" { return nil }
            guard let value = Int64(part), value >= 0 else { throw invalid }
            return value
        }
        return .init(
            allow: true, type: words[0] == "a" ? nil : String(words[0]), major: try number(numbers[0]),
            minor: try number(numbers[1]), access: String(words[2]))
    }

    /// The memory controller's settings; nil when the service sets none.
    /// Swap is limited only with a memory limit, as docker's: unset, as
    /// much again as the limit (where the kernel accounts swap).
    func memory(for spec: LinuxContainerSpec, warnings: inout [String]) -> OCIRuntimeSpec.Memory? {
        let r = spec.resources
        var memory = OCIRuntimeSpec.Memory(limit: r.memoryLimit, swap: nil)
        if let limit = r.memoryLimit {
            memory.swap = r.memorySwap ?? (host.swapAccounting ? limit * 2 : nil)
        } else if let swap = r.memorySwap, swap != -1 {
            warnings.append(
                "container \(spec.id): memswap_limit \(swap) is not applied: it needs a memory limit (mem_limit), as docker's"
            )
        }
        if memory.swap != nil && !host.swapAccounting {
            warnings.append("container \(spec.id): memswap_limit is not applied: this kernel does not account swap")
            memory.swap = nil
        }
        memory.reservation = r.memoryReservation
        memory.swappiness = r.memorySwappiness.map { UInt64(max(0, min(100, $0))) }
        if r.oomKillDisable { memory.disableOOMKiller = true }
        return memory == OCIRuntimeSpec.Memory(limit: nil, swap: nil) ? nil : memory
    }

    /// CFS bandwidth (`cpu_quota`/`cpu_period`, or `cpus` over the period,
    /// 100 ms by default), `cpu_shares` and `cpuset`; nil when none is set.
    static func cpu(_ r: LinuxContainerSpec.Resources) -> OCIRuntimeSpec.CPU? {
        let period = r.cpuPeriod ?? 100_000
        let quota = r.cpuQuota ?? r.cpus.map { Int64(($0 * Double(period)).rounded()) }
        var cpu = OCIRuntimeSpec.CPU(
            quota: quota, period: quota != nil || r.cpuPeriod != nil ? UInt64(max(0, period)) : nil)
        cpu.shares = r.cpuShares.map { UInt64(max(0, $0)) }
        cpu.cpus = r.cpuset
        return cpu == OCIRuntimeSpec.CPU(quota: nil, period: nil) ? nil : cpu
    }

    /// `oom_score_adj` for the process. Lowering it below berthd's needs
    /// CAP_SYS_RESOURCE, which berthd may lack: then it is left (with a warning).
    func oomScoreAdj(for spec: LinuxContainerSpec, warnings: inout [String]) -> Int? {
        guard let adj = spec.resources.oomScoreAdj else { return nil }
        if adj < 0 && !host.canRaiseLimits {
            warnings.append(
                "container \(spec.id): oom_score_adj \(adj) is not applied: lowering it needs CAP_SYS_RESOURCE, "
                    + "which berthd lacks")
            return nil
        }
        return adj
    }
}
