import Foundation
import Glibc
import RuntimeKit

/// A container's processes as `ps -ef` prints them, read from its cgroup
/// and /proc: the same columns `docker top` shows by default.
enum ProcessList {
    /// `ps -ef`'s titles.
    static let titles = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]

    /// Every pid in the cgroup `path` (as crun names it, `/berth/<id>`) and
    /// the cgroups below it: under the unified hierarchy when the host has
    /// one, else under the first v1 controller that has the cgroup.
    static func pids(inCgroup path: String) -> [Int32] {
        let candidates = ["", "/pids", "/memory", "/cpu", "/unified", "/systemd"].map { "/sys/fs/cgroup" + $0 + path }
        guard let directory = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/cgroup.procs") })
        else { return [] }
        var pids: [Int32] = []
        var pending = [directory]
        while let next = pending.popLast() {
            let text = (try? String(contentsOfFile: next + "/cgroup.procs", encoding: .utf8)) ?? ""
            pids += text.split(separator: "\n").compactMap { Int32($0) }
            let children = (try? FileManager.default.contentsOfDirectory(atPath: next)) ?? []
            for child in children {
                var isDirectory: ObjCBool = false
                let full = next + "/" + child
                if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), isDirectory.boolValue {
                    pending.append(full)
                }
            }
        }
        return Array(Set(pids)).sorted()
    }

    /// The table for `pids`; a process gone meanwhile is left out.
    static func table(pids: [Int32]) -> ProcessTable {
        let ticks = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
        let boot = bootTime()
        let now = Date().timeIntervalSince1970
        let rows = pids.compactMap { row($0, ticks: ticks, boot: boot, now: now) }
        return ProcessTable(titles: titles, processes: rows)
    }

    private static func row(_ pid: Int32, ticks: Double, boot: Double, now: Double) -> [String]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { return nil }
        let comm = String(stat[stat.index(after: open)..<close])
        // After `pid (comm)`: state ppid pgrp session tty_nr … utime(11) stime(12) … starttime(19).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        let ppid = String(fields[1])
        let tty = Int(fields[4]) ?? 0
        let cpu = Double((Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)) / ticks
        let started = boot + Double(Int(fields[19]) ?? 0) / ticks
        let elapsed = max(now - started, 1)
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        let argv = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return [
            user(pid), String(pid), ppid, String(Int(cpu / elapsed * 100)), startTime(started, now: now),
            ttyName(tty), duration(cpu), argv.isEmpty ? "[\(comm)]" : argv.joined(separator: " "),
        ]
    }

    /// The effective uid's name in the host's user database (what `ps` on
    /// the host prints), else the number.
    private static func user(_ pid: Int32) -> String {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return "?" }
        let ids = line.dropFirst(4).split(whereSeparator: { $0 == "\t" || $0 == " " })
        guard ids.count > 1, let uid = uid_t(ids[1]) else { return "?" }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let found = result,
            let name = found.pointee.pw_name
        {
            return String(cString: name)
        }
        return String(uid)
    }

    /// `HH:MM` today, `MonDD` before, as ps does.
    private static func startTime(_ seconds: Double, now: Double) -> String {
        var time = time_t(seconds)
        var current = time_t(now)
        var start = tm()
        var today = tm()
        localtime_r(&time, &start)
        localtime_r(&current, &today)
        if start.tm_year == today.tm_year && start.tm_yday == today.tm_yday {
            return String(format: "%02d:%02d", start.tm_hour, start.tm_min)
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return months[Int(start.tm_mon) % 12] + String(format: "%02d", start.tm_mday)
    }

    /// `pts/N` for a pseudo-terminal (majors 136–143), else `?`.
    private static func ttyName(_ device: Int) -> String {
        guard device != 0 else { return "?" }
        let major = (device >> 8) & 0xFFF
        let minor = (device & 0xFF) | ((device >> 12) & 0xFFF00)
        return (136...143).contains(major) ? "pts/\((major - 136) * 256 + minor)" : "?"
    }

    /// CPU time as `[DD-]HH:MM:SS`.
    private static func duration(_ seconds: Double) -> String {
        let total = Int(seconds)
        let days = total / 86400
        let clock = String(format: "%02d:%02d:%02d", (total % 86400) / 3600, (total % 3600) / 60, total % 60)
        return days > 0 ? "\(days)-" + clock : clock
    }

    /// When the host booted, from /proc/stat's `btime`.
    private static func bootTime() -> Double {
        let text = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("btime ") }
        return line.flatMap { Double($0.dropFirst(6)) } ?? 0
    }
}
