import BerthModel
import Foundation
import TestSupport
import Testing

@testable import RuntimeLinux

/// Reading docker's json-file format back, rotated files included.
struct JSONFileLogTests {
    /// A directory holding json.log.2, json.log.1 and json.log with lines 1…6.
    func withLogs(_ body: (String) throws -> Void) throws {
        func entry(_ n: Int, _ stream: String = "stdout") -> String {
            #"{"log":"line \#(n)\n","stream":"\#(stream)","time":"2024-05-01T10:00:0\#(n).5Z"}"# + "\n"
        }
        try withScratchDirectory(prefix: "berth-log") { dir in
            try dir.write("json.log.2", entry(1) + entry(2))
            try dir.write("json.log.1", entry(3, "stderr") + entry(4))
            // The last line is still being written: no newline yet.
            try dir.write("json.log", entry(5) + entry(6) + #"{"log":"partial"#)
            try body(dir.path)
        }
    }

    @Test func readsEveryFileOldestFirst() throws {
        try withLogs { dir in
            let entries = try JSONFileLog(directory: dir).read(JSONFileLog.Query())
            #expect(entries.map(\.text) == (1...6).map { "line \($0)\n" })
            #expect(entries[2].stream == .stderr)
        }
    }

    @Test func tailTakesTheLastEntriesAcrossFiles() throws {
        try withLogs { dir in
            let log = JSONFileLog(directory: dir)
            let three = try log.read(JSONFileLog.Query(tail: 3))
            let none = try log.read(JSONFileLog.Query(tail: 0))
            #expect(three.map(\.text) == ["line 4\n", "line 5\n", "line 6\n"])
            #expect(none.isEmpty)
        }
    }

    @Test func sinceAndUntilFilterByTime() throws {
        try withLogs { dir in
            let since = try #require(JSONFileLog.parseTime("2024-05-01T10:00:03.5Z"))
            let until = try #require(JSONFileLog.parseTime("2024-05-01T10:00:05Z"))
            let entries = try JSONFileLog(directory: dir).read(JSONFileLog.Query(since: since, until: until))
            #expect(entries.map(\.text) == ["line 3\n", "line 4\n"])
            #expect(entries[0].formatted(timestamps: true) == "2024-05-01T10:00:03.5Z line 3\n")
        }
    }

    @Test func aReadEndsWhereTheLogEndedWhenItBegan() throws {
        try withScratchDirectory(prefix: "berth-log") { dir in
            func entry(_ n: Int) -> String {
                #"{"log":"line \#(n)\n","stream":"stdout","time":"2024-05-01T10:00:0\#(n).5Z"}"# + "\n"
            }
            try dir.write("json.log", entry(1) + entry(2) + entry(3))
            let log = JSONFileLog(directory: dir.path)
            let tail = try log.cursor(JSONFileLog.Query(tail: 1))
            let all = try log.cursor(JSONFileLog.Query())
            #expect(try all.next()?.text == "line 1\n")
            // A running container goes on writing while the reads are under way.
            let handle = try #require(FileHandle(forWritingAtPath: dir.path + "/json.log"))
            handle.seekToEndOfFile()
            handle.write(Data((entry(4) + entry(5)).utf8))
            try handle.close()
            #expect(try tail.next()?.text == "line 3\n")
            #expect(try tail.next() == nil)
            #expect(try all.next()?.text == "line 2\n")
            #expect(try all.next()?.text == "line 3\n")
            #expect(try all.next() == nil)
        }
    }

    @Test func compressedFilesAreReadAndAPlainOneWinsOverItsGzip() async throws {
        try await withScratchDirectory(prefix: "berth-log") { dir in
            func entry(_ n: Int) -> String {
                #"{"log":"line \#(n)\n","stream":"stdout","time":"2024-05-01T10:00:0\#(n).5Z"}"# + "\n"
            }
            try dir.write("json.log.3", entry(1))
            try dir.write("json.log.2", entry(2) + entry(3))
            try dir.write("json.log.1", entry(4))
            try dir.write("json.log", entry(5))
            // The real gzip writes .3 and .2 as the shim does; .1 is there in
            // both forms, as while the shim compresses it.
            try await sh("gzip", "-n", dir.path + "/json.log.3")
            try await sh("gzip", "-n", dir.path + "/json.log.2")
            try await sh("gzip", "-n", "-k", dir.path + "/json.log.1")
            let log = JSONFileLog(directory: dir.path)
            #expect(
                log.files().map { ($0 as NSString).lastPathComponent } == [
                    "json.log.3.gz", "json.log.2.gz", "json.log.1", "json.log",
                ])
            #expect(try log.read(JSONFileLog.Query()).map(\.text) == (1...5).map { "line \($0)\n" })
            #expect(try log.read(JSONFileLog.Query(tail: 4)).map(\.text) == (2...5).map { "line \($0)\n" })
            let since = try #require(JSONFileLog.parseTime("2024-05-01T10:00:03Z"))
            #expect(try log.read(JSONFileLog.Query(since: since)).map(\.text) == (3...5).map { "line \($0)\n" })
            // Reading leaves no file of its own behind.
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            #expect(names == ["json.log", "json.log.1", "json.log.1.gz", "json.log.2.gz", "json.log.3.gz"])
        }
    }

    @Test func timesParseWithNanosecondsAndOffsets() throws {
        let utc = try #require(JSONFileLog.parseTime("2024-05-01T10:00:00.123456789Z"))
        #expect(abs(utc.timeIntervalSince1970 - 1_714_557_600.123456789) < 1e-6)
        let offset = try #require(JSONFileLog.parseTime("2024-05-01T12:00:00+02:00"))
        #expect(offset.timeIntervalSince1970 == 1_714_557_600)
        #expect(JSONFileLog.parseTime("yesterday") == nil)
    }
}

/// Hybrid cgroup detection, on a fake /sys/fs/cgroup.
struct CgroupSetupTests {
    @Test func controllersListIsSplitOnSpaces() {
        #expect(CgroupSetup.controllersToMove("hugetlb\n") == ["hugetlb"])
        #expect(CgroupSetup.controllersToMove("cpu memory hugetlb\n") == ["cpu", "memory", "hugetlb"])
        #expect(CgroupSetup.controllersToMove("\n").isEmpty)
    }

    @Test func noHybridTreeOrAnEmptyOneIsCompatible() throws {
        let scratch = try ScratchDirectory(prefix: "berth-cgroup")
        defer { try? scratch.remove() }
        let root = scratch.path
        try FileManager.default.createDirectory(atPath: root + "/unified", withIntermediateDirectories: true)
        #expect(try CgroupSetup.ensureCompatible(root: root) == .compatible)
        try "\n".write(toFile: root + "/unified/cgroup.controllers", atomically: true, encoding: .utf8)
        #expect(try CgroupSetup.ensureCompatible(root: root) == .compatible)
    }

    @Test(.requiresNonRoot("root could really mount on the fake tree"))
    func aControllerThatCannotBeMovedExplainsTheFix() throws {
        let scratch = try ScratchDirectory(prefix: "berth-cgroup")
        defer { try? scratch.remove() }
        let root = scratch.path
        try FileManager.default.createDirectory(atPath: root + "/unified", withIntermediateDirectories: true)
        try "hugetlb\n".write(toFile: root + "/unified/cgroup.controllers", atomically: true, encoding: .utf8)
        let error = #expect(throws: BerthError.self) { try CgroupSetup.ensureCompatible(root: root) }
        #expect(error?.code == .cgroupSetup)
        #expect(error?.message.contains("mount -t cgroup -o hugetlb cgroup \(root)/hugetlb") == true)
    }
}

/// Overlay mount data and container ids: the values that reach the kernel.
struct OverlayAndIDTests {
    @Test func overlayWantsTheHighestLayerFirst() throws {
        let data = try OverlayRootfs.options(
            layers: ["/l/base", "/l/mid", "/l/top"], upper: "/c/upper", work: "/c/work")
        #expect(data == "lowerdir=/l/top:/l/mid:/l/base,upperdir=/c/upper,workdir=/c/work")
    }

    @Test func overlayRefusesPathsItCannotExpress() {
        #expect(throws: BerthError.self) { try OverlayRootfs.options(layers: ["/l/a:b"], upper: "/u", work: "/w") }
        #expect(throws: BerthError.self) { try OverlayRootfs.options(layers: ["relative"], upper: "/u", work: "/w") }
        #expect(throws: BerthError.self) { try OverlayRootfs.options(layers: [], upper: "/u", work: "/w") }
        let deep = (0..<200).map { "/var/lib/berth/layers/sha256-\(String(repeating: "a", count: 40))\($0)" }
        let error = #expect(throws: BerthError.self) {
            try OverlayRootfs.options(layers: deep, upper: "/u", work: "/w")
        }
        #expect(error?.message.contains("the kernel takes at most 4095") == true)
    }

    @Test func containerIDsAreDockerNames() {
        #expect(ContainerID("web-1")?.rawValue == "web-1")
        #expect(ContainerID("a.b_c-D9") != nil)
        for bad in ["", "-lead", "has space", "slash/es", "dots..ok?", String(repeating: "x", count: 129)] {
            #expect(ContainerID(bad) == nil, "\(bad) was accepted")
        }
    }

    @Test func partialRecordsAreJoinedAndTailCountsWholeLines() throws {
        // A 40-byte line cut in 16-byte pieces on stdout, a stderr line in between.
        func record(_ text: String, _ stream: String = "stdout", at second: Int) -> String {
            #"{"log":"\#(text)","stream":"\#(stream)","time":"2024-05-01T10:00:\#(second).5Z"}"# + "\n"
        }
        let long = String(repeating: "a", count: 16) + String(repeating: "b", count: 16) + "cccccccc"
        try withScratchDirectory(prefix: "berth-log") { dir in
            try dir.write("json.log.1", record("first\\n", at: 10) + record(String(long.prefix(16)), at: 11))
            try dir.write(
                "json.log",
                record(String(long.dropFirst(16).prefix(16)), at: 12) + record("oops\\n", "stderr", at: 13)
                    + record("cccccccc\\n", at: 14) + record("last\\n", at: 15))
            let log = JSONFileLog(directory: dir.path)
            let all = try log.read(JSONFileLog.Query())
            #expect(all.map(\.text) == ["first\n", "oops\n", long + "\n", "last\n"])
            #expect(all[2].time == "2024-05-01T10:00:14.5Z")
            // The last two lines: the long one begins in the rotated file.
            let two = try log.read(JSONFileLog.Query(tail: 2))
            #expect(two.map(\.text) == [long + "\n", "last\n"])
        }
    }

    @Test func recordsParseWithoutADecoderAsWithOne() throws {
        for text in [#"plain\n"#, #"q\"uote \\ back\/slash\t\r\u003c\u00e9\ud83d\ude00 \u2028"#, #"ends in \\n"#] {
            let line = #"{"log":""# + text + #"","stream":"stderr","time":"2024-05-01T10:00:00Z"}"#
            let fast = try #require(ShimRecord.fields(Substring(line)))
            struct Raw: Decodable { var log: String }
            let decoded = try JSONDecoder().decode(Raw.self, from: Data(line.utf8))
            #expect(fast.log == decoded.log)
            #expect(fast.stream == "stderr")
            // A record that ends a line ends in a real "\n", not in "\\" then "n".
            #expect(JSONFileLog.Cursor.endsALine(Substring(line)) == decoded.log.hasSuffix("\n"))
        }
        #expect(ShimRecord.fields(#"{"stream":"stdout","log":"x"}"#) == nil)
    }
}
