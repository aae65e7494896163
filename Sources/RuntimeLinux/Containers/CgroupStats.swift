import BerthModel
import Foundation
import RuntimeKit

/// A container's resource use read as docker's stats reads it: CPU,
/// memory, block I/O and pids from the cgroup of its init (v2, or each v1
/// controller's hierarchy), network bytes from its namespace's
/// `/proc/PID/net/dev`.
enum CgroupStats {
    /// The figures for the container whose init is `pid`. `root` is where
    /// the cgroup file systems are mounted and `proc` the proc file system
    /// (other values in tests).
    static func read(pid: Int32, root: String = "/sys/fs/cgroup", proc: String = "/proc") throws -> ContainerStats {
        guard let membership = try? String(contentsOfFile: "\(proc)/\(pid)/cgroup", encoding: .utf8) else {
            throw BerthError(.invalidState, "process \(pid) is gone, so its resource use cannot be read")
        }
        let paths = cgroupPaths(membership)
        // cgroup v2 (one hierarchy, "0::/path") when the host has it as its only tree.
        let unified = paths[""].map { root + $0 }
        func file(_ controller: String, _ name: String) -> String? {
            if let unified, FileManager.default.fileExists(atPath: unified + "/" + name) { return unified + "/" + name }
            guard let path = paths[controller] else { return nil }
            for mount in [controller, "cpu,cpuacct", "cpuacct,cpu"] {
                let candidate = "\(root)/\(mount)\(path)/\(name)"
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
            }
            return nil
        }
        func text(_ path: String?) -> String { path.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "" }
        func number(_ path: String?) -> UInt64? { UInt64(text(path).trimmingCharacters(in: .whitespacesAndNewlines)) }

        let cpu =
            number(file("cpuacct", "cpuacct.usage"))
            ?? (keyed(text(file("cpu", "cpu.stat")))["usage_usec"] ?? 0) * 1000
        let memoryStat = keyed(text(file("memory", "memory.stat")))
        let used = number(file("memory", "memory.current")) ?? number(file("memory", "memory.usage_in_bytes")) ?? 0
        // docker leaves the inactive page cache out (cli's calculateMemUsageUnixNoCache).
        let inactive = memoryStat["inactive_file"] ?? memoryStat["total_inactive_file"] ?? 0
        let host = hostMemory(proc: proc)
        let limit = number(file("memory", "memory.max")) ?? number(file("memory", "memory.limit_in_bytes")) ?? host
        let (read, written) = blockIO(
            v2: text(file("io", "io.stat")), v1: text(file("blkio", "blkio.throttle.io_service_bytes_recursive")))
        let (received, sent) = network(text("\(proc)/\(pid)/net/dev"))
        return ContainerStats(
            cpuNanoseconds: cpu, readAt: monotonicSeconds(), memoryUsage: used > inactive ? used - inactive : used,
            memoryLimit: min(limit, host), networkReceived: received, networkSent: sent, blockRead: read,
            blockWritten: written, pids: number(file("pids", "pids.current")) ?? 0)
    }

    /// `/proc/PID/cgroup` as controller → path; the v2 line's controller is "".
    static func cgroupPaths(_ text: String) -> [String: String] {
        var paths: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[1].isEmpty {
                paths[""] = path
            } else {
                for controller in fields[1].split(separator: ",") { paths[String(controller)] = path }
            }
        }
        return paths
    }

    /// `key value` lines (cpu.stat, memory.stat) as numbers.
    static func keyed(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }

    /// Bytes read and written: v2's `io.stat` (`8:0 rbytes=… wbytes=…`) or
    /// v1's `blkio.throttle.io_service_bytes_recursive` (`8:0 Read N`).
    static func blockIO(v2: String, v1: String) -> (read: UInt64, written: UInt64) {
        var read: UInt64 = 0
        var written: UInt64 = 0
        for line in v2.split(separator: "\n") {
            for field in line.split(separator: " ") {
                if field.hasPrefix("rbytes="), let value = UInt64(field.dropFirst(7)) { read += value }
                if field.hasPrefix("wbytes="), let value = UInt64(field.dropFirst(7)) { written += value }
            }
        }
        for line in v1.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let value = UInt64(fields[2]) else { continue }
            if fields[1] == "Read" { read += value }
            if fields[1] == "Write" { written += value }
        }
        return (read, written)
    }

    /// Bytes received and sent on every interface but `lo` (`/proc/PID/net/dev`).
    static func network(_ text: String) -> (received: UInt64, sent: UInt64) {
        var received: UInt64 = 0
        var sent: UInt64 = 0
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let fields = line[line.index(after: colon)...].split(separator: " ")
            guard name != "lo", fields.count >= 9 else { continue }
            received += UInt64(fields[0]) ?? 0
            sent += UInt64(fields[8]) ?? 0
        }
        return (received, sent)
    }

    /// The host's memory (`MemTotal`), the limit of a container that has none.
    static func hostMemory(proc: String = "/proc") -> UInt64 {
        let text = (try? String(contentsOfFile: proc + "/meminfo", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = UInt64(fields[1]) { return kib * 1024 }
        }
        return UInt64.max
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
