import Glibc
import TestSupport
import Testing

/// The host checks find what a footprint names, and nothing else.
@Suite("HostFootprint")
struct HostFootprintTests {
    @Test func aRootThatStaysIsALeftoverOnceItShouldBeGone() async throws {
        try await withScratchDirectory { scratch in
            let footprint = HostFootprint(roots: [scratch.path])
            #expect(await footprint.leftovers().isEmpty)
            #expect(await footprint.leftovers(rootsRemoved: true) == ["directory \(scratch.path)"])
        }
    }

    @Test func aProcessNamingAMarkerIsALeftoverUntilItEnds() async throws {
        try await withScratchDirectory { scratch in
            // One process, no children, the root on its command line.
            let file = try scratch.write("log", "")
            var pid: pid_t = 0
            let words = ["tail", "-f", file]
            let argv = words.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            #expect(posix_spawnp(&pid, "tail", nil, nil, argv, environ) == 0)
            let footprint = HostFootprint(processMarkers: [scratch.path])
            #expect(footprint.processes().map(\.pid) == [pid])
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            #expect(await footprint.leftovers().isEmpty)
        }
    }

    @Test func linksAndCgroupsOfOtherPrefixesAreNotTheTests() async {
        // No link or cgroup begins with a prefix nobody uses.
        let footprint = HostFootprint(linkPrefixes: ["berthzz"], cgroupPrefixes: ["berth-zz"])
        #expect(await footprint.leftovers().isEmpty)
        #expect(HostFootprint.links().contains("lo"))
    }

    @Test func aRecordHandsOutEachPrefixOnce() {
        let record = HostRecord()
        let prefixes = (0..<50).map { _ in record.freshPrefix() }
        #expect(Set(prefixes).count == 50)
        #expect(prefixes.allSatisfy { $0.hasPrefix("berth") && $0.utf8.count == 9 })
        #expect(record.footprint.linkPrefixes == Set(prefixes))
    }
}
