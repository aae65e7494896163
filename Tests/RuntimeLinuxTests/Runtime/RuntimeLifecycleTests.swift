import BerthModel
import Foundation
import Glibc
import RuntimeKit
import Synchronization
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

extension HostResourceTests.LinuxRuntimeTests {
    /// A container's life through `LinuxRuntime`: errors, start, restart,
    /// stop, remove, wait, exec, events.
    @Suite(.timeLimit(.minutes(3))) struct RuntimeLifecycleTests {
        @Test func missingImageIsOneClearError() async throws {
            try await RuntimeFixture.with { f in
                var spec = f.spec("ghost", ["true"])
                spec.image = "nosuch:1.0"
                let error = await #expect(throws: BerthError.self) { try await f.runtime.createContainer(spec) }
                #expect(error?.code == .notFound)
                #expect(
                    error?.message
                        == "container \(spec.name): image \"nosuch:1.0\" is not here; get it with `berth pull`, "
                        + "give the service a `build:` section, or load an image archive with "
                        + "`berth image import FILE nosuch:1.0`"
                )
                let listed = try await f.runtime.containers(matching: LabelFilter())
                #expect(listed.isEmpty)
            }
        }

        @Test func invalidNamesAreClearErrors() async throws {
            try await RuntimeFixture.with { f in
                let spec = ContainerSpec(name: "no/slash", image: "busybox")
                let error = await #expect(throws: BerthError.self) { try await f.runtime.createContainer(spec) }
                #expect(error?.message.hasPrefix("invalid container name \"no/slash\"") == true)
                let busy = f.spec("twice", ["true"])
                _ = try await f.runtime.createContainer(busy)
                let again = await #expect(throws: BerthError.self) { try await f.runtime.createContainer(busy) }
                #expect(again?.message == "container name \"\(busy.name)\" is already in use")
                await #expect(throws: BerthError.self) { try await f.runtime.startContainer(f.name("nobody")) }
            }
        }

        @Test func exitedContainerStartsAgainWithItsWritableLayerAndAddress() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("net")))
                // Counts its runs in its own writable layer, prints its address, exits 3.
                let script = "echo run >> /runs; echo runs=$(wc -l < /runs); ip -o -4 addr show eth0; exit 3"
                let spec = f.spec("again", ["sh", "-c", script], networks: [network.name])
                let first = try await f.run(spec)
                let address = try #require(first.addresses[network.name])
                #expect(try await f.runtime.waitContainer(spec.name) == 3)
                let exited = try await f.info(spec.name)
                #expect(exited.state == .exited(code: 3))
                #expect(exited.finishedAt != nil)

                try await f.runtime.startContainer(spec.name)
                #expect(try await f.runtime.waitContainer(spec.name) == 3)
                let lines = try await logLines(f, spec.name)
                #expect(lines.filter { $0.hasPrefix("runs=") } == ["runs=1", "runs=2"], "\(lines)")
                let shown = lines.filter { $0.contains("eth0") }
                #expect(shown.count == 2 && shown.allSatisfy { $0.contains(" \(address)/") }, "\(lines)")
                let second = try await f.info(spec.name)
                #expect(second.addresses == first.addresses)
                #expect((second.startedAt ?? 0) >= (first.startedAt ?? 0))
            }
        }

        @Test func eventsStreamCreateStartDieStopDestroy() async throws {
            try await RuntimeFixture.with { f in
                let events = await f.runtime.events()
                let spec = f.spec("events", ["sh", "-c", "exit 7"])
                try await f.run(spec)
                #expect(try await f.runtime.waitContainer(spec.name) == 7)
                let served = f.spec("served", ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"])
                try await f.run(served)
                try await f.runtime.stopContainer(served.name, signal: "SIGTERM", grace: 10_000_000_000)
                let forced = f.spec("forced", ["sleep", "1000"])
                try await f.run(forced)
                try await f.runtime.removeContainer(forced.name, force: true)
                try await f.runtime.removeContainer(spec.name, force: false)
                let seen = try await collect(events, within: .seconds(20)) {
                    $0.kind == .destroy && $0.containerName == spec.name
                }
                // In order for each container; the two containers' events may interleave.
                func of(_ name: String) -> [String] {
                    seen.filter { $0.containerName == name }.map {
                        $0.kind.rawValue + ($0.exitCode.map { " \($0)" } ?? "")
                    }
                }
                #expect(of(spec.name) == ["create", "start", "die 7", "destroy"], "\(seen)")
                #expect(of(served.name) == ["create", "start", "kill", "die 0", "stop"], "\(seen)")
                #expect(of(forced.name) == ["create", "start", "kill", "die 137", "destroy"], "\(seen)")
                #expect(seen.allSatisfy { $0.containerID == $0.containerName })
            }
        }

        @Test func runningContainerIsRemovedOnlyWithForce() async throws {
            try await RuntimeFixture.with { f in
                let spec = f.spec("busy", ["sleep", "1000"])
                let info = try await f.run(spec)
                guard case .running(let pid) = info.state else {
                    Issue.record("not running: \(info.state)")
                    return
                }
                #expect(pid > 0)
                let error = await #expect(throws: BerthError.self) {
                    try await f.runtime.removeContainer(spec.name, force: false)
                }
                #expect(error?.code == .invalidState)
                try await f.runtime.removeContainer(spec.name, force: true)
                #expect(try await f.runtime.containers(matching: LabelFilter()).isEmpty)
                // A created one needs no force.
                _ = try await f.runtime.createContainer(f.spec("fresh", ["true"]))
                #expect(try await f.info(f.name("fresh")).state == .created)
                try await f.runtime.removeContainer(f.name("fresh"), force: false)
            }
        }

        @Test func execRunsWithEnvironmentUserAndDirectoryAndTimesOut() async throws {
            try await RuntimeFixture.with { f in
                let spec = f.spec("exec", ["sleep", "1000"])
                try await f.run(spec)
                let result = try await f.runtime.exec(
                    spec.name,
                    ExecSpec(
                        command: ["sh", "-c", "echo $GREETING; id -u; pwd; echo oops >&2; exit 4"],
                        environment: ["GREETING": "hi"], user: "www-data", workingDir: "/tmp"))
                #expect(result == ExecResult(exitCode: 4, stdout: "hi\n33\n/tmp\n", stderr: "oops\n"))
                // Standard input, fed while the output is read: 1 MiB in, echoed back out.
                let input = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
                let echoed = try await f.runtime.exec(
                    spec.name, ExecSpec(command: ["sh", "-c", "cat; echo; echo end >&2"], standardInput: input))
                #expect(echoed.exitCode == 0 && echoed.stdout.utf8.count == (1 << 20) + 1 && echoed.stderr == "end\n")
                // Streamed: each output's bytes as written, none kept for a result.
                let chunks = Mutex<[ExecStream: [UInt8]]>([:])
                let code = try await f.runtime.exec(
                    spec.name, ExecSpec(command: ["sh", "-c", "printf 'a\\303'; echo b >&2; exit 3"])
                ) { stream, bytes in chunks.withLock { $0[stream, default: []] += bytes } }
                #expect(code == 3)
                #expect(chunks.withLock { $0 } == [.stdout: [0x61, 0xC3], .stderr: Array("b\n".utf8)])
                // A command that does not read it still finishes.
                let unread = try await f.runtime.exec(spec.name, ExecSpec(command: ["true"], standardInput: input))
                #expect(unread.exitCode == 0)
                let error = await #expect(throws: BerthError.self) {
                    try await f.runtime.exec(spec.name, ExecSpec(command: ["sleep", "100"], timeout: 500_000_000))
                }
                #expect(error?.code == .timeout)
                // The killed process is gone from the container.
                let left = try await f.runtime.processes(spec.name)
                #expect(!left.processes.contains { $0.last == "sleep 100" }, "\(left)")
            }
        }

        @Test func theSpecReachesTheContainer() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("net")))
                var spec = f.spec("full", ["sleep", "1000"], networks: [network.name])
                spec.`init` = true
                spec.hostname = "box"
                spec.extraHosts = ["db=10.9.8.7", "gw=host-gateway"]
                spec.environment = ["MODE": "test"]
                spec.workingDir = "/tmp"
                spec.user = "nobody"
                spec.readOnly = true
                spec.noNewPrivileges = true
                spec.dnsSearch = ["example.test"]
                let info = try await f.run(spec)
                let address = try #require(info.addresses[network.name])
                let output = try await f.exec(
                    spec.name,
                    [
                        "sh", "-c",
                        "tr '\\0' ' ' < /proc/1/cmdline; echo; hostname; echo $MODE; pwd; id -u; touch /x || echo ro",
                    ])
                #expect(
                    output.stdout
                        == "/sbin/docker-init -- sleep 1000 \nbox\ntest\n/tmp\n65534\nro\n", "\(output)")
                let hosts = try await f.exec(spec.name, ["cat", "/etc/hosts"]).stdout
                #expect(hosts.contains("\(address)\tbox \(spec.name)\n"), "\(hosts)")
                #expect(hosts.contains("10.9.8.7\tdb\n") && hosts.contains("\(network.gateway)\tgw\n"), "\(hosts)")
                let resolv = try await f.exec(spec.name, ["cat", "/etc/resolv.conf"]).stdout
                #expect(resolv == "nameserver \(network.gateway)\nsearch example.test\n")
                let status = try await f.exec(spec.name, ["grep", "NoNewPrivs", "/proc/1/status"]).stdout
                #expect(status == "NoNewPrivs:\t1\n", "\(status)")
                let config = try String(
                    contentsOfFile: f.root + "/containers/\(spec.name)/config.json", encoding: .utf8)
                #expect(config.contains("\"test.prefix\":\"\(f.prefix)\""), "labels are annotations")
            }
        }

        @Test func pidAndIPCOfTheHostOrOfAnotherContainer() async throws {
            try await RuntimeFixture.with { f in
                let namespaces = ["sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc"]
                let host =
                    try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid") + "\n"
                    + FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/ipc") + "\n"
                var shared = f.spec("hostns", ["sleep", "1000"])
                shared.pidMode = .host
                shared.ipcMode = .host
                try await f.run(shared)
                #expect(try await f.exec(shared.name, namespaces).stdout == host)

                let owner = f.spec("owner", ["sleep", "1000"])
                try await f.run(owner)
                var joined = f.spec("joined", ["sleep", "1000"])
                joined.pidMode = .container(owner.name)
                joined.ipcMode = .container(owner.name)
                try await f.run(joined)
                let own = try await f.exec(owner.name, namespaces).stdout
                #expect(try await f.exec(joined.name, namespaces).stdout == own && own != host)
                // The host's /dev/shm with the host's IPC namespace.
                let file = "/dev/shm/" + f.name("shm")
                #expect(try await f.exec(shared.name, ["sh", "-c", "echo hi > \(file)"]).exitCode == 0)
                defer { unlink(file) }
                #expect(try String(contentsOfFile: file, encoding: .utf8) == "hi\n")

                var late = f.spec("late", ["true"])
                late.pidMode = .container(f.name("absent"))
                let error = await #expect(throws: BerthError.self) { try await f.runtime.createContainer(late) }
                #expect(error?.message.contains("to be running") == true, "\(String(describing: error))")
            }
        }

        @Test func theInitReadsTheStandardInputItWasCreatedWith() async throws {
            try await RuntimeFixture.with { f in
                var spec = f.spec("stdin", ["sh", "-c", "wc -l"])
                spec.standardInput = Array("one\ntwo\n".utf8)
                _ = try await f.runtime.createContainer(spec)
                // Written to the container's directory, not kept in its record.
                let record = try String(
                    contentsOfFile: f.root + "/runtime/containers/\(spec.name).json", encoding: .utf8)
                #expect(!record.contains("standardInput"), "\(record)")
                try await f.runtime.startContainer(spec.name)
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                var lines: [String] = []
                for try await record in try await f.runtime.logs(spec.name, LogQuery()) { lines.append(record.text) }
                #expect(lines.map { $0.trimmingCharacters(in: .whitespaces) } == ["2"])
            }
        }

        @Test func cancelledExecIsKilled() async throws {
            try await RuntimeFixture.with { f in
                let spec = f.spec("cancel", ["sleep", "1000"])
                try await f.run(spec)
                let runtime = f.runtime
                let probe = Task { try await runtime.exec(spec.name, ExecSpec(command: ["sleep", "101"])) }
                let running = try await eventually {
                    try await runtime.processes(spec.name).processes.contains { $0.last == "sleep 101" }
                }
                #expect(running)
                probe.cancel()
                await #expect(throws: CancellationError.self) { try await probe.value }
                let left = try await runtime.processes(spec.name)
                #expect(!left.processes.contains { $0.last == "sleep 101" }, "\(left)")
            }
        }

        @Test func lateFailureUndoesEverythingMadeBefore() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("net")))
                var spec = f.spec("late", ["true"], networks: [network.name])
                let port = try freePort()
                spec.ports = [PortSpec(hostIP: "127.0.0.1", hostPort: port, containerPort: 80)]
                // The driver refuses the relative target, after the namespace,
                // the endpoint, the port and the volumes were made.
                spec.mounts = [
                    .anonymous(target: "/data"),
                    .volume(name: f.resource("new"), target: "/new", readOnly: false, nocopy: false),
                    .tmpfs(target: "relative", size: nil, mode: nil),
                ]
                let error = await #expect(throws: BerthError.self) { try await f.runtime.createContainer(spec) }
                #expect(error?.message.contains("relative") == true, "\(String(describing: error))")
                let listed = try await f.runtime.containers(matching: LabelFilter())
                #expect(listed.isEmpty)
                #expect(try await f.runtime.volumes(matching: LabelFilter()).isEmpty)
                #expect(await f.runtime.bridges.list().allSatisfy { $0.endpoints.isEmpty })
                #expect(!FileManager.default.fileExists(atPath: f.root + "/netns/" + spec.name))
                // Free again; for a moment a process forked elsewhere in this
                // test run may still hold a copy of the closed listener.
                let free = try await eventually {
                    guard let (socket, _) = try? listeningSocket(port: port) else { return false }
                    close(socket)
                    return true
                }
                #expect(free, "port \(port) is still taken")
            }
        }

        @Test func processesAreListedAsPsShowsThem() async throws {
            try await RuntimeFixture.with { f in
                let spec = f.spec("ps", ["sh", "-c", "sleep 1000 & wait"])
                try await f.run(spec)
                var table = ProcessTable(titles: [], processes: [])
                let found = try await eventually {
                    table = try await f.runtime.processes(spec.name)
                    return table.processes.contains { $0.last == "sleep 1000" }
                }
                #expect(found, "\(table)")
                #expect(table.titles == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
                #expect(table.processes.contains { $0.last == "sh -c sleep 1000 & wait" && $0.first == "root" })
            }
        }

        @Test func logsTailAndFollowAcrossRestartsUntilRemoved() async throws {
            try await RuntimeFixture.with { f in
                let script =
                    "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; while [ ! -f /go ]; do sleep 0.05; done; echo done"
                let spec = f.spec("logs", ["sh", "-c", script])
                try await f.run(spec)
                // The tail is taken once the six lines are written, not while they are.
                let written = try await eventually(within: 60) {
                    var count = 0
                    for try await _ in try await f.runtime.logs(spec.name, LogQuery()) { count += 1 }
                    return count == 6
                }
                #expect(written, "the container wrote its six lines")
                let stream = try await f.runtime.logs(spec.name, LogQuery(tail: 2, follow: true))
                var iterator = stream.makeAsyncIterator()
                let first = try await iterator.next()
                let second = try await iterator.next()
                #expect(first?.text == "line5" && first?.stream == "stdout")
                #expect(second?.text == "oops" && second?.stream == "stderr")
                try await f.exec(spec.name, ["touch", "/go"])
                #expect(try await iterator.next()?.text == "done")
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                // The follow outlives the exit: the next run's lines come too.
                try await f.runtime.startContainer(spec.name)
                #expect(try await iterator.next()?.text == "line1")
                try await f.runtime.removeContainer(spec.name, force: true)
                var rest: [String] = []
                while let record = try await iterator.next() { rest.append(record.text) }
                #expect(rest.count <= 7, "the follow ended with the container: \(rest)")
                await #expect(throws: BerthError.self) { _ = try await f.runtime.logs(f.name("nobody"), LogQuery()) }
            }
        }

        /// Figures for the report, not limits: this machine is shared.
        @Test func timingsOfOneContainer() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("t")))
                let clock = ContinuousClock()
                var lines: [String] = []
                for n in 0..<3 {
                    var spec = f.spec(
                        "t\(n)", ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"], networks: [network.name])
                    spec.ports = [PortSpec(hostIP: "127.0.0.1", containerPort: 80)]
                    let t0 = clock.now
                    _ = try await f.runtime.createContainer(spec)
                    let t1 = clock.now
                    try await f.runtime.startContainer(spec.name)
                    let t2 = clock.now
                    _ = try await f.runtime.containers(matching: LabelFilter())
                    let t3 = clock.now
                    try await f.runtime.stopContainer(spec.name, signal: "TERM", grace: 10_000_000_000)
                    let t4 = clock.now
                    try await f.runtime.startContainer(spec.name)
                    let t5 = clock.now
                    try await f.runtime.removeContainer(spec.name, force: true)
                    let t6 = clock.now
                    lines.append(
                        "create \(t1 - t0), start \(t2 - t1), containers() \(t3 - t2), stop \(t4 - t3), "
                            + "start again \(t5 - t4), remove -f \(t6 - t5)")
                }
                print("LinuxRuntime timings (network + published port):\n" + lines.joined(separator: "\n"))
            }
        }

        @Test func containersAreCreatedAndStartedInParallel() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("many")))
                let count = Int(ProcessInfo.processInfo.environment["BERTH_TEST_PARALLEL"] ?? "") ?? 8
                let clock = ContinuousClock()
                let start = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 0..<count {
                        group.addTask {
                            try await f.run(f.spec("p\(n)", ["sleep", "1000"], networks: [network.name]))
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = clock.now - start
                let listing = clock.now
                let all = try await f.runtime.containers(matching: LabelFilter(["test.prefix": f.prefix]))
                let listed = clock.now - listing
                #expect(all.count == count && all.allSatisfy(\.state.isRunning))
                #expect(Set(all.compactMap { $0.addresses[network.name] }).count == count)
                print(
                    "LinuxRuntime: \(count) containers created and started in parallel in \(elapsed), listed in \(listed)"
                )
            }
        }
    }
}

/// The container's whole log, one text per line.
func logLines(_ f: RuntimeFixture, _ name: String) async throws -> [String] {
    try await f.runtime.logs(name, LogQuery()).reduce(into: []) { $0.append($1.text) }
}

/// The events of `stream` up to and including the first that `last` accepts;
/// fails when it does not come within `timeout`.
func collect(
    _ stream: AsyncStream<RuntimeEvent>, within timeout: Duration,
    until last: @escaping @Sendable (RuntimeEvent) -> Bool
) async throws -> [RuntimeEvent] {
    try await withThrowingTaskGroup(of: [RuntimeEvent]?.self) { group in
        group.addTask {
            var seen: [RuntimeEvent] = []
            for await event in stream {
                seen.append(event)
                if last(event) { return seen }
            }
            return seen
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return try #require(first, "the awaited event did not come within \(timeout)")
    }
}
