import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// Service settings docker applies, observed as a user would: in the
    /// container's cgroup files, `/proc`, and from inside the container.
    @Suite struct ServiceSettingsTests {
        /// A service command that idles until `down` (busybox sleep as PID 1 ignores SIGTERM).
        static let idle = #"["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]"#

        /// The text of a cgroup v1 file of `container`, trimmed.
        static func cgroupFile(_ daemon: TestDaemon, _ controller: String, _ path: String, _ file: String) -> String {
            let text = try? String(
                contentsOfFile: "/sys/fs/cgroup/\(controller)/\(path)/\(file)", encoding: .utf8)
            return text?.trimmingCharacters(in: .whitespacesAndNewlines)
                ?? "(no /sys/fs/cgroup/\(controller)/\(path)/\(file))"
        }

        /// `berth exec -T SERVICE ARGS…` once it succeeds: its output.
        static func exec(_ daemon: TestDaemon, _ directory: String, _ arguments: [String]) async throws -> String {
            var output = ""
            _ = try await eventually(within: 60) {
                let result = try await daemon.berth(["exec", "-T"] + arguments, in: directory)
                output = result.stdout + result.stderr
                return result.status == 0
            }
            return output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test func resourceSettingsAreInTheContainersCgroupFiles() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = "rs\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                        cpu_shares: 512
                        cpuset: "0"
                        cpu_quota: 50000
                        cpu_period: 100000
                        mem_limit: 64m
                        mem_reservation: 32m
                        memswap_limit: 96m
                        mem_swappiness: 10
                        oom_score_adj: 500
                        oom_kill_disable: true
                      reserved:
                        image: busybox
                        command: \(Self.idle)
                        deploy:
                          resources:
                            reservations: {memory: 16m}
                        blkio_config:
                          device_read_bps: [{path: /dev/loop0, rate: 1mb}]
                          device_write_iops: [{path: /dev/loop0, rate: 30}]
                    """)
                let up = try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let app = "\(daemon.prefix)/\(project)-app-1"
                #expect(Self.cgroupFile(daemon, "cpu", app, "cpu.shares") == "512")
                #expect(Self.cgroupFile(daemon, "cpuset", app, "cpuset.cpus") == "0")
                #expect(Self.cgroupFile(daemon, "cpu", app, "cpu.cfs_quota_us") == "50000")
                #expect(Self.cgroupFile(daemon, "cpu", app, "cpu.cfs_period_us") == "100000")
                #expect(Self.cgroupFile(daemon, "memory", app, "memory.limit_in_bytes") == "\(64 << 20)")
                #expect(Self.cgroupFile(daemon, "memory", app, "memory.soft_limit_in_bytes") == "\(32 << 20)")
                #expect(Self.cgroupFile(daemon, "memory", app, "memory.memsw.limit_in_bytes") == "\(96 << 20)")
                #expect(Self.cgroupFile(daemon, "memory", app, "memory.swappiness") == "10")
                let oomControl = Self.cgroupFile(daemon, "memory", app, "memory.oom_control")
                #expect(oomControl.contains("oom_kill_disable 1"), "\(oomControl)")
                let pid = try String(
                    contentsOfFile: daemon.root + "/containers/\(project)-app-1/container.pid", encoding: .utf8)
                let adj = try String(
                    contentsOfFile: "/proc/\(pid.trimmingCharacters(in: .whitespacesAndNewlines))/oom_score_adj",
                    encoding: .utf8)
                #expect(adj.trimmingCharacters(in: .whitespacesAndNewlines) == "500")
                let reserved = "\(daemon.prefix)/\(project)-reserved-1"
                #expect(Self.cgroupFile(daemon, "memory", reserved, "memory.soft_limit_in_bytes") == "\(16 << 20)")
                #expect(Self.cgroupFile(daemon, "blkio", reserved, "blkio.throttle.read_bps_device") == "7:0 1048576")
                #expect(Self.cgroupFile(daemon, "blkio", reserved, "blkio.throttle.write_iops_device") == "7:0 30")
                #expect(!up.stdout.contains("WARN") && !up.stderr.contains("WARN"), "\(up.stdout)\(up.stderr)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
        @Test func namesGroupsMacExposeAndCgroupParentAreTheContainers() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = "nm\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      named:
                        build: .
                        command: \(Self.idle)
                        hostname: box
                        domainname: example.test
                        group_add: [www-data, "4321"]
                        cgroup_parent: \(daemon.prefix)/custom
                        mac_address: "02:42:ac:11:00:99"
                        expose: ["8080", "9000-9001/udp"]
                      hostuts:
                        image: busybox
                        command: \(Self.idle)
                        uts: host
                        cgroup: host
                    """)
                // The image's user (root) is in staff by the image's /etc/group.
                try "FROM busybox\nRUN echo staff:x:50:root >> /etc/group\n".write(
                    toFile: directory + "/Dockerfile", atomically: true, encoding: .utf8)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                #expect(try await Self.exec(daemon, directory, ["named", "hostname", "-d"]) == "example.test")
                #expect(
                    try await Self.exec(daemon, directory, ["named", "cat", "/proc/sys/kernel/domainname"])
                        == "example.test")
                #expect(try await Self.exec(daemon, directory, ["named", "hostname"]) == "box")
                // docker's groups: the image user's own (staff) and group_add's.
                let id = try await Self.exec(daemon, directory, ["named", "id"])
                #expect(
                    id.hasPrefix("uid=0(root) gid=0(root) groups=") && id.contains("33(www-data)")
                        && id.contains("50(staff)") && id.contains("4321"), "\(id)")
                #expect(
                    try await Self.exec(daemon, directory, ["named", "cat", "/sys/class/net/eth0/address"])
                        == "02:42:ac:11:00:99")
                let ps = try await daemon.berthOK(["ps"], in: directory)
                #expect(ps.stdout.contains("8080/tcp, 9000/udp, 9001/udp"), "\(ps.stdout)")
                let path = "\(daemon.prefix)/custom/\(project)-named-1"
                #expect(access("/sys/fs/cgroup/memory/\(path)/cgroup.procs", F_OK) == 0, "no cgroup at \(path)")
                var hostName = [CChar](repeating: 0, count: 256)
                gethostname(&hostName, 255)
                let host = String(decoding: hostName.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                #expect(try await Self.exec(daemon, directory, ["hostuts", "hostname"]) == host)
                // cgroup: host: the container sees its cgroup's whole path; its own namespace shows "/".
                let cgroups = try await Self.exec(daemon, directory, ["hostuts", "cat", "/proc/self/cgroup"])
                #expect(cgroups.contains("/\(daemon.prefix)/\(project)-hostuts-1"), "\(cgroups)")
                let own = try await Self.exec(daemon, directory, ["named", "cat", "/proc/self/cgroup"])
                #expect(!own.contains(daemon.prefix), "\(own)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func aVolumeOverAnyImageDirectoryIsSeededNocopyOnEtcKeepsTheNetworkFilesAndSubpathMountsPart()
            async throws
        {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = "sd\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      bin:
                        image: busybox
                        command: \(Self.idle)
                        volumes: [binvol:/bin]
                      etc:
                        image: busybox
                        command: \(Self.idle)
                        volumes:
                          - {type: volume, source: etcvol, target: /etc, volume: {nocopy: true}}
                      prep:
                        image: busybox
                        command: ["sh", "-c", "mkdir -p /v/sub && echo hi > /v/sub/f"]
                        volumes: [data:/v]
                      sub:
                        image: busybox
                        command: \(Self.idle)
                        depends_on: {prep: {condition: service_completed_successfully}}
                        volumes:
                          - {type: volume, source: data, target: /data, volume: {subpath: sub}}
                    volumes:
                      binvol: {}
                      etcvol: {}
                      data: {}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let listing = try await Self.exec(daemon, directory, ["bin", "ls", "/bin/sleep"])
                #expect(listing == "/bin/sleep", "\(listing)")
                let etc = try await Self.exec(
                    daemon, directory, ["etc", "cat", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"])
                #expect(etc.contains("localhost") && etc.contains("nameserver"), "\(etc)")
                // nocopy: nothing of the image's /etc is in the volume.
                let passwd = try await daemon.berth(["exec", "-T", "etc", "ls", "/etc/passwd"], in: directory)
                #expect(passwd.status != 0, "\(passwd.stdout)")
                #expect(try await Self.exec(daemon, directory, ["sub", "cat", "/data/f"]) == "hi")
                try await daemon.berthOK(["down", "-v", "-t", "1"], in: directory)
            }
        }
        @Test func devicesRulesAndPrivilegedGiveHostDevices() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = "dv\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      dev:
                        image: busybox
                        command: \(Self.idle)
                        devices: ["/dev/zero:/dev/myzero", "/dev/loop1:/dev/myloop:r"]
                        device_cgroup_rules: ["c 1:9 rwm"]
                      priv:
                        image: busybox
                        command: \(Self.idle)
                        privileged: true
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let zero = try await Self.exec(daemon, directory, ["dev", "ls", "-l", "/dev/myzero", "/dev/myloop"])
                #expect(zero.contains("crw") && zero.contains("1,   5") && zero.contains("brw"), "\(zero)")
                #expect(
                    try await Self.exec(daemon, directory, ["dev", "sh", "-c", "head -c 4 /dev/myzero | wc -c"]) == "4")
                let list = Self.cgroupFile(daemon, "devices", "\(daemon.prefix)/\(project)-dev-1", "devices.list")
                let rules = list.split(separator: "\n")
                #expect(rules.contains("c 1:9 rwm") && rules.contains("b 7:1 r"), "\(list)")
                let kmsg = try await daemon.berth(["exec", "-T", "dev", "ls", "/dev/kmsg"], in: directory)
                #expect(kmsg.status != 0, "an unprivileged container has no /dev/kmsg")
                let host = try await Self.exec(daemon, directory, ["priv", "ls", "/dev/kmsg", "/dev/loop-control"])
                #expect(host == "/dev/kmsg\n/dev/loop-control", "\(host)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
        @Test func secretsAndConfigsFromTheEnvironmentAndInlineHaveTheirOwnerAndMode() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = "sc\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                        secrets:
                          - token
                          - {source: key, mode: 0400, uid: "7"}
                        configs:
                          - {source: app, target: /etc/app.conf, uid: "100", gid: "101", mode: 0440}
                          - {source: envconf, target: /srv/env.conf}
                    secrets:
                      token: {environment: TOKEN}
                      key: {file: ./key.txt}
                    configs:
                      app: {content: "x=1"}
                      envconf: {environment: SETTING}
                    """)
                try "k\n".write(toFile: directory + "/key.txt", atomically: true, encoding: .utf8)
                try await daemon.berthOK(
                    ["up", "-d", "--progress", "plain"], in: directory,
                    environment: ["TOKEN": "s3cret", "SETTING": "on"])
                #expect(try await Self.exec(daemon, directory, ["app", "cat", "/run/secrets/token"]) == "s3cret")
                #expect(try await Self.exec(daemon, directory, ["app", "cat", "/etc/app.conf"]) == "x=1")
                #expect(try await Self.exec(daemon, directory, ["app", "cat", "/srv/env.conf"]) == "on")
                let stat = try await Self.exec(
                    daemon, directory,
                    ["app", "stat", "-c", "%a %u %g %n", "/run/secrets/token", "/run/secrets/key", "/etc/app.conf"])
                #expect(
                    stat == "444 0 0 /run/secrets/token\n400 7 0 /run/secrets/key\n440 100 101 /etc/app.conf", "\(stat)"
                )
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
        @Test func attachedUpLeavesOutTheLogsOfAServiceWithAttachFalse() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = "at\(daemon.prefix.dropFirst(5))"
                let loop = #"["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo from-$$0; sleep 0.3; done", "NAME"]"#
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      quiet:
                        image: busybox
                        attach: false
                        command: \(loop.replacingOccurrences(of: "NAME", with: "quiet"))
                      loud:
                        image: busybox
                        command: \(loop.replacingOccurrences(of: "NAME", with: "loud"))
                    """)
                let up = try await daemon.berthOK(["up", "--progress", "plain"], in: directory)
                #expect(up.stdout.contains("from-loud"), "\(up.stdout)")
                #expect(!up.stdout.contains("from-quiet"), "\(up.stdout)")
                let logs = try await daemon.berthOK(["logs", "quiet"], in: directory)
                #expect(logs.stdout.contains("from-quiet"), "attach: false still logs: \(logs.stdout)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
        @Test func postStartAndPreStopHooksRunInTheContainer() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = "hk\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                        volumes: [./out:/out]
                        post_start:
                          - command: ["sh", "-c", "echo started-$$GREETING > /out/post"]
                            environment: {GREETING: hi}
                        pre_stop:
                          - command: ["sh", "-c", "echo stopping > /out/pre"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let post = try String(contentsOfFile: directory + "/out/post", encoding: .utf8)
                #expect(post == "started-hi\n")
                #expect(access(directory + "/out/pre", F_OK) != 0, "pre_stop ran before any stop")
                try await daemon.berthOK(["stop", "-t", "1"], in: directory)
                let pre = try? String(contentsOfFile: directory + "/out/pre", encoding: .utf8)
                #expect(pre == "stopping\n")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
        @Test func dnsServersAnswerOtherNamesWhileTheEmbeddedDNSKeepsTheProjectsNames() async throws {
            guard access("/usr/sbin/dnsmasq", X_OK) == 0 else { return }
            // A resolver of the service's own on loopback: the embedded DNS (in berthd) forwards to it.
            let listen = "127.0.\(UInt8.random(in: 2...250)).\(UInt8.random(in: 2...250))"
            try await withDaemon { daemon in
                let log = daemon.root + "/dnsmasq.log"
                let dnsmasq = try spawn(
                    [
                        "/usr/sbin/dnsmasq", "--no-daemon", "--port=53", "--listen-address=\(listen)",
                        "--bind-interfaces",
                        "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--address=/outside.test/10.9.8.7",
                    ], log: log)
                defer {
                    kill(dnsmasq, SIGTERM)
                    var status: Int32 = 0
                    waitpid(dnsmasq, &status, 0)
                }
                try await BusyboxImage.load(into: daemon)
                let project = "dn\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                        dns: [\(listen)]
                      peer:
                        image: busybox
                        command: \(Self.idle)
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let outside = try await Self.exec(daemon, directory, ["app", "nslookup", "outside.test"])
                #expect(
                    outside.contains("10.9.8.7"),
                    "\(outside)\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                let peer = try await Self.exec(daemon, directory, ["app", "nslookup", "peer"])
                #expect(peer.contains("Address") && !peer.contains("NXDOMAIN"), "\(peer)")
                let resolv = try await Self.exec(daemon, directory, ["app", "cat", "/etc/resolv.conf"])
                #expect(!resolv.contains(listen), "the embedded DNS stays the resolver: \(resolv)")
                // Per container: peer has no such server.
                let other = try await daemon.berth(["exec", "-T", "peer", "nslookup", "outside.test"], in: directory)
                #expect(!other.stdout.contains("10.9.8.7"), "\(other.stdout)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
        @Test func aBlkioWeightTheKernelLacksIsAWarnLine() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let weight =
                    FileManager.default.fileExists(atPath: "/sys/fs/cgroup/blkio/blkio.weight")
                    || FileManager.default.fileExists(atPath: "/sys/fs/cgroup/blkio/blkio.bfq.weight")
                let project = "bw\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(project)
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                        blkio_config: {weight: 300}
                    """)
                let up = try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let text = up.stdout + up.stderr
                if weight {
                    let path = "\(daemon.prefix)/\(project)-app-1"
                    #expect(Self.cgroupFile(daemon, "blkio", path, "blkio.weight") == "300")
                } else {
                    #expect(
                        text.contains(
                            "WARN: container \(project)-app-1: blkio_config weight is not applied: this kernel has no "
                                + "block I/O weight"), "\(text)")
                }
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }
    }
}
