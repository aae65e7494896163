import Foundation
import Testing

@_spi(Components) @testable import RuntimeLinux

/// berth-shim: it outlives its parent, logs in docker's json-file format
/// with rotation, and stays small.
@Suite(.requiresRoot("needs root: crun, overlay mounts and cgroups"))
struct ContainerShimTests {
    @Test func logsSurviveTheShimsParentBeingKilled() async throws {
        try await ContainerFixture.with { f in
            let script = "i=0; while [ $i -lt 20 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done"
            let spec = try f.spec("orphan", ["sh", "-c", script])
            let (paths, _) = try f.driver.prepare(spec)
            // A stand-in berthd: a shell in a process group of its own that
            // starts the shim, says so, and stays until killed.
            let shim = f.driver.shimArguments(spec, paths: paths, mode: "run", readyFD: nil)
            let (ours, theirs) = try ChildProcess.socketPair()
            let parent = try ChildProcess.spawn(
                ["/bin/sh", "-c", "\"$@\" && echo launched; exec sleep 1000", "sh"] + shim,
                descriptors: [(theirs, 1)], newProcessGroup: true)
            close(theirs)
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = read(ours, &buffer, buffer.count)
            close(ours)
            #expect(String(decoding: buffer[0..<max(0, n)], as: UTF8.self) == "launched\n")
            // Kill the parent's whole process group, as a crash or `kill -9 -PGID` would.
            #expect(kill(-parent, SIGKILL) == 0)
            _ = try ChildProcess.wait(parent)

            // A new driver over the same root, as a restarted berthd.
            let restarted = try ContainerDriver(
                .init(root: f.root, shimPath: ContainerFixture.shimBinary, crunRoot: f.root + "/crun"))
            let status = try await restarted.wait(spec.id, timeout: .seconds(20))
            #expect(status.exitCode == 0)
            let ticks = try restarted.logText(spec.id).split(separator: "\n").map(String.init)
            #expect(ticks == (0..<20).map { "tick \($0)" })
        }
    }

    @Test func logLinesAreDockerJSONFileEntries() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec(
                "json", ["sh", "-c", "echo 'a \"quoted\" <tag> & tab\there'; echo oops >&2; printf 'no newline'"])
            try await f.run(spec)
            _ = try await f.driver.wait(spec.id, timeout: .seconds(10))
            let raw = try String(contentsOfFile: f.driver.paths(spec.id).log, encoding: .utf8)
            let lines = raw.split(separator: "\n").map(String.init)
            try #require(lines.count == 3)
            let time = #/"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"\}$/#
            #expect(lines[0].hasPrefix(#"{"log":"a \"quoted\" \u003ctag\u003e \u0026 tab\there\n","stream":"stdout","#))
            #expect(lines.contains { $0.hasPrefix(#"{"log":"oops\n","stream":"stderr","#) })
            #expect(lines.contains { $0.hasPrefix(#"{"log":"no newline","stream":"stdout","#) })
            #expect(lines.allSatisfy { $0.contains(time) })
            let entries = try f.driver.logs(spec.id)
            var texts: [String] = []
            for try await entry in entries { texts.append(entry.text) }
            #expect(texts.contains("a \"quoted\" <tag> & tab\there\n"))
        }
    }

    @Test func shimRotatesTheLogAndReadersSeeEveryFile() async throws {
        try await ContainerFixture.with { f in
            var spec = try f.spec(
                "rotate", ["sh", "-c", "i=100; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done"])
            spec.log = .init(maxSize: 2000, maxFiles: 3)
            try await f.run(spec)
            _ = try await f.driver.wait(spec.id, timeout: .seconds(10))
            let dir = f.driver.paths(spec.id).directory
            let fm = FileManager.default
            for name in ["json.log", "json.log.1", "json.log.2"] {
                let size = try #require(try fm.attributesOfItem(atPath: dir + "/" + name)[.size] as? Int)
                #expect(size <= 2000, "\(name) is \(size) bytes")
            }
            #expect(!fm.fileExists(atPath: dir + "/json.log.3"))
            let all = try f.driver.logText(spec.id).split(separator: "\n").map(String.init)
            let numbers = all.compactMap { Int($0.dropFirst(5)) }
            // What is kept is the newest run of lines, in order, up to the last.
            #expect(numbers.last == 199)
            #expect(numbers == Array((numbers.first ?? 0)...199))
            #expect(numbers.count > 40 && numbers.count < 100)
            #expect(try f.driver.logText(spec.id, JSONFileLog.Query(tail: 3)) == "line 197\nline 198\nline 199\n")
            let entries = try JSONFileLog(directory: dir).read(JSONFileLog.Query())
            let since = entries[entries.count - 2].date
            let recent = try f.driver.logText(spec.id, JSONFileLog.Query(since: since, timestamps: true))
            #expect(recent.hasSuffix(" line 199\n"))
            #expect(recent.split(separator: "\n").allSatisfy { $0.first?.isNumber == true })
        }
    }

    @Test func followDeliversLinesAsTheyComeAndEndsAtExit() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec("follow", ["sh", "-c", "for i in 1 2 3; do echo n$i; sleep 0.2; done"])
            try await f.create(spec)
            let stream = try f.driver.logs(spec.id, JSONFileLog.Query(follow: true))
            try await f.driver.start(spec.id)
            var texts: [String] = []
            for try await entry in stream { texts.append(entry.text) }
            #expect(texts == ["n1\n", "n2\n", "n3\n"])
            #expect(try await f.driver.inspect(spec.id).status.name == "exited")
        }
    }

    @Test func shimStaysUnderTwoMebibytes() async throws {
        try await ContainerFixture.with { f in
            let spec = try f.spec(
                "small",
                ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; echo ready; sleep 1000"])
            try await f.run(spec)
            try await f.waitForLog(spec.id, containing: "ready")
            let shim = try #require(try await f.driver.inspect(spec.id).shimPID)
            let status = try String(contentsOfFile: "/proc/\(shim)/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
            let kib = try #require(Int(line.split(separator: " ").dropFirst().first ?? ""))
            #expect(kib <= 2048, "berth-shim uses \(kib) KiB resident")
            #expect(getsid(shim) != getsid(0), "the shim shares berthd's session")
        }
    }
}
