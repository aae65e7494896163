import BerthModel
import Testing

@testable import ComposeLoader

/// The service settings read into the model for the runtime: resources,
/// devices, groups, names, hooks, and the secrets' variables.
struct HostSettingsTests {
    @Test func resourceAndBlockIOSettings() throws {
        let web = try typedService(
            try loadYAML(
                """
                services:
                  web:
                    image: busybox
                    cpu_shares: 512
                    cpuset: "0-1"
                    cpu_quota: 50000
                    cpu_period: 100000
                    mem_swappiness: 10
                    oom_kill_disable: true
                    oom_score_adj: 500
                    blkio_config:
                      weight: 300
                      weight_device: [{path: /dev/sda, weight: 400}]
                      device_read_bps: [{path: /dev/sdb, rate: 12mb}]
                      device_write_iops: [{path: /dev/sdb, rate: 30}]
                """))
        let r = web.resources
        #expect(r.cpuShares == 512 && r.cpuset == "0-1" && r.cpuQuota == 50_000 && r.cpuPeriod == 100_000)
        #expect(r.memorySwappiness == 10 && r.oomKillDisable == true && r.oomScoreAdj == 500)
        #expect(
            r.blkio
                == BlkioConfig(
                    weight: 300, weightDevice: [.init(path: "/dev/sda", value: 400)],
                    readBps: [.init(path: "/dev/sdb", value: 12 << 20)], writeIops: [.init(path: "/dev/sdb", value: 30)]
                ))
        #expect(web.unapplied == nil)
    }

    @Test func devicesGroupsNamesAndHooks() throws {
        let web = try typedService(
            try loadYAML(
                """
                services:
                  web:
                    image: busybox
                    devices: ["/dev/ttyUSB0", "/dev/sda:/dev/xvda:r", {source: /dev/fuse, target: /dev/f, permissions: rw}]
                    device_cgroup_rules: ["c 1:3 mr"]
                    group_add: [audio, "1000"]
                    uts: host
                    cgroup_parent: mine
                    mac_address: "02:42:ac:11:00:02"
                    attach: false
                    post_start: [{command: ["touch", "/x"], user: root, environment: {A: b}}]
                    pre_stop: [{command: "sh -c 'echo bye'"}]
                """))
        #expect(
            web.devices == [
                DeviceMapping(source: "/dev/ttyUSB0"),
                DeviceMapping(source: "/dev/sda", target: "/dev/xvda", permissions: "r"),
                DeviceMapping(source: "/dev/fuse", target: "/dev/f", permissions: "rw"),
            ])
        #expect(web.deviceCgroupRules == ["c 1:3 mr"])
        #expect(web.groupAdd == ["audio", "1000"])
        #expect(web.uts == "host" && web.cgroupParent == "mine" && web.macAddress == "02:42:ac:11:00:02")
        #expect(web.attach == false)
        #expect(web.postStart == [ServiceHook(command: ["touch", "/x"], user: "root", environment: ["A": "b"])])
        #expect(web.preStop == [ServiceHook(command: ["sh", "-c", "echo bye"])])
    }

    @Test func aSecretFromTheEnvironmentCarriesTheValueSeenAtLoad() throws {
        let loaded = try loadYAML(
            """
            services:
              web:
                image: busybox
                secrets: [token]
            secrets:
              token: {environment: TOKEN}
            """, environment: ["TOKEN": "s3cret"])
        let token = loaded.project.secrets["token"]
        #expect(token?.source == .environment("TOKEN"))
        #expect(token?.environmentValue == "s3cret")
    }
}
