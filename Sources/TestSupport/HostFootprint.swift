import Glibc
import HostOS

/// What tests made on the host, so that a check afterwards looks for exactly
/// that: other sessions may have `berth*` links, tables, mounts and
/// processes of their own up at the same time, and those are theirs.
public struct HostFootprint: Sendable, Hashable {
    /// Links whose name begins with one of these are the tests'.
    public var linkPrefixes: Set<String>
    /// nftables tables (family `inet`) the tests made.
    public var nftTables: Set<String>
    /// State roots: nothing may stay mounted below one.
    public var roots: Set<String>
    /// No live process may name one of these on its command line (a root a
    /// shim, a crun or a helper works in).
    public var processMarkers: Set<String>
    /// Containers' cgroups are named `<prefix>-…`, or live below a parent
    /// named `<prefix>`: no such cgroup may remain, nor a process in one.
    public var cgroupPrefixes: Set<String>

    /// A footprint of the given parts.
    public init(
        linkPrefixes: Set<String> = [], nftTables: Set<String> = [], roots: Set<String> = [],
        processMarkers: Set<String> = [], cgroupPrefixes: Set<String> = []
    ) {
        self.linkPrefixes = linkPrefixes
        self.nftTables = nftTables
        self.roots = roots
        self.processMarkers = processMarkers
        self.cgroupPrefixes = cgroupPrefixes
    }

    /// Adds `other`'s parts to this one's.
    public mutating func add(_ other: HostFootprint) {
        linkPrefixes.formUnion(other.linkPrefixes)
        nftTables.formUnion(other.nftTables)
        roots.formUnion(other.roots)
        processMarkers.formUnion(other.processMarkers)
        cgroupPrefixes.formUnion(other.cgroupPrefixes)
    }

    /// What of this footprint is still on the host, one line per thing;
    /// empty when the tests cleaned up. It is asked again until nothing is
    /// left or `grace` has passed: processes on their way out and the
    /// kernel's lazy teardown of links and mounts get a moment before they
    /// count. With `rootsRemoved`, a root that still exists is left too.
    public func leftovers(within grace: Duration = .zero, rootsRemoved: Bool = false) async -> [String] {
        let deadline = ContinuousClock.now + grace
        var found = await leftoversNow(rootsRemoved: rootsRemoved)
        while !found.isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
            found = await leftoversNow(rootsRemoved: rootsRemoved)
        }
        return found
    }

    private func leftoversNow(rootsRemoved: Bool) async -> [String] {
        var found = Self.links().filter { link in linkPrefixes.contains { link.hasPrefix($0) } }.map { "link \($0)" }
        found += await tablesLeft().map { "nft table inet \($0)" }
        for root in roots.sorted() {
            found += ((try? Mounts.entries(under: root)) ?? []).map { "mount \($0.mountPoint)" }
            if rootsRemoved && access(root, F_OK) == 0 { found.append("directory \(root)") }
        }
        found += processes().map { "process \($0.pid) \($0.commandLine)" }
        found += cgroupsLeft().map { "cgroup \($0)" }
        return found
    }

    /// The live processes that name a marker on their command line, or run
    /// in a container cgroup of one of the prefixes.
    public func processes() -> [HostProcess] {
        guard !processMarkers.isEmpty || !cgroupPrefixes.isEmpty else { return [] }
        return HostProcess.all().filter { process in
            processMarkers.contains { process.commandLine.contains($0) }
                || process.cgroups.flatMap { $0.split(separator: "/") }.contains { isContainerCgroup(String($0)) }
        }
    }

    /// `<prefix>` (a berthd's parent) or `<prefix>-…` (a test container's).
    private func isContainerCgroup(_ name: String) -> Bool {
        cgroupPrefixes.contains { name == $0 || name.hasPrefix($0 + "-") }
    }

    /// The tables of `nftTables` that `nft list tables` still shows.
    private func tablesLeft() async -> [String] {
        guard !nftTables.isEmpty else { return [] }
        guard let listed = try? await sh("nft", "list", "tables") else { return ["(nft list tables failed)"] }
        let lines = Set(listed.split(separator: "\n").map(String.init))
        return nftTables.sorted().filter { lines.contains("table inet \($0)") }
    }

    /// Containers' cgroup directories, `<prefix>-…`: at the top of each
    /// hierarchy, and below its `berth` parent (cgroup v1 has a hierarchy
    /// per controller, v2 one).
    private func cgroupsLeft() -> [String] {
        guard !cgroupPrefixes.isEmpty else { return [] }
        let top = "/sys/fs/cgroup"
        let hierarchies = [top] + HostFiles.names(in: top).map { top + "/" + $0 }
        var found: [String] = []
        for directory in hierarchies.flatMap({ [$0, $0 + "/berth"] }) {
            found += HostFiles.names(in: directory).filter { name in
                cgroupPrefixes.contains { name.hasPrefix($0 + "-") }
            }
            .map { directory + "/" + $0 }
        }
        return found
    }

    /// The names of the host's links (`/sys/class/net` of this network namespace).
    public static func links() -> [String] { HostFiles.names(in: "/sys/class/net") }
}

/// A process as `/proc` shows it, for the host checks.
public struct HostProcess: Sendable {
    public var pid: Int32
    /// The arguments, joined by spaces.
    public var commandLine: String
    /// The cgroup paths of `/proc/<pid>/cgroup`, one per hierarchy.
    public var cgroups: [String]

    /// Every live process but this one; zombies hold nothing but their pid.
    static func all() -> [HostProcess] {
        HostFiles.names(in: "/proc").compactMap { Int32($0) }.filter { $0 != getpid() }.compactMap { pid in
            // `pid (comm) state …`; comm may hold spaces and parentheses, hence the last ')'.
            guard let stat = HostFiles.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: close)...].drop(while: { $0 == " " }).first != "Z",
                let arguments = HostFiles.read("/proc/\(pid)/cmdline")
            else { return nil }
            let cgroups = (HostFiles.read("/proc/\(pid)/cgroup") ?? "").split(separator: "\n").compactMap {
                $0.split(separator: ":", maxSplits: 2).last.map(String.init)
            }
            let commandLine = arguments.split(separator: "\0").joined(separator: " ")
            return HostProcess(pid: pid, commandLine: commandLine, cgroups: cgroups)
        }
    }
}

/// Reading `/proc` and `/sys` without Foundation.
enum HostFiles {
    /// A small file of `/proc` or `/sys`, or nil when it cannot be read
    /// (the process has gone, say).
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
        }
    }

    /// The names in a directory (none when it does not exist), without `.` and `..`.
    static func names(in path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
