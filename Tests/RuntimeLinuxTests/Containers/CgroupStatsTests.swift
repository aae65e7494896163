import Foundation
import Testing

@testable import RuntimeLinux

/// What `berth stats` reads, from files shaped as the kernel writes them.
@Suite struct CgroupStatsTests {
    @Test func membershipOfV1ControllersAndTheV2Tree() {
        let paths = CgroupStats.cgroupPaths(
            "12:pids:/berth/web\n4:cpu,cpuacct:/berth/web\n3:memory:/berth/web\n0::/berth/web\n")
        #expect(paths["pids"] == "/berth/web" && paths["cpuacct"] == "/berth/web" && paths["cpu"] == "/berth/web")
        #expect(paths[""] == "/berth/web" && paths["memory"] == "/berth/web")
    }

    @Test func blockIOFromEitherVersion() {
        let v2 = "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2\n"
        #expect(CgroupStats.blockIO(v2: v2, v1: "") == (4097, 8194))
        let v1 = "8:0 Read 100\n8:0 Write 50\n8:0 Sync 150\n8:0 Total 150\nTotal 150\n"
        #expect(CgroupStats.blockIO(v2: "", v1: v1) == (100, 50))
    }

    @Test func networkCountsEveryInterfaceButLoopback() {
        let dev = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0
              eth0:    1234      10    0    0    0     0          0         0      648       6    0    0    0     0       0          0
              eth1:      66       1    0    0    0     0          0         0        0       0    0    0    0     0       0          0
            """
        #expect(CgroupStats.network(dev) == (1300, 648))
    }

    @Test func keyedFilesAndTheHostsMemory() throws {
        #expect(CgroupStats.keyed("usage_usec 1500\nuser_usec 1000\n")["usage_usec"] == 1500)
        #expect(CgroupStats.hostMemory() > 0)
    }
}
