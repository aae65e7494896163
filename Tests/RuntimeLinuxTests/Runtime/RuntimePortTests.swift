import BerthModel
import Foundation
import Glibc
import HostOS
import RuntimeKit
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

extension HostResourceTests.LinuxRuntimeTests {
    /// Published ports through `LinuxRuntime`, checked with curl from the host.
    @Suite struct RuntimePortTests {
        @Test func publishedPortAnswersTwoHundredParallelConnections() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("web")))
                var spec = f.spec("web", RuntimeFixture.httpd("hello-host"), networks: [network.name])
                let port = try freePort()
                spec.ports = [PortSpec(hostIP: "127.0.0.1", hostPort: port, containerPort: 80)]
                let web = try await f.run(spec)
                #expect(web.ports == [PortSpec(hostIP: "127.0.0.1", hostPort: port, containerPort: 80)])
                try await f.waitForHTTPD(web.name)
                let url = "http://127.0.0.1:\(port)/"
                let output = try await sh(
                    [
                        "curl", "--silent", "--show-error", "--parallel", "--parallel-immediate", "--parallel-max",
                        "200",
                        "--max-time", "20", "--write-out", "%{http_code}\\n",
                    ]
                        + Array(repeating: ["--output", "/dev/null", url], count: 200).flatMap { $0 },
                    timeout: .seconds(60))
                let codes = output.split(separator: "\n")
                #expect(codes.count == 200 && codes.allSatisfy { $0 == "200" }, "curl answers: \(output)")
            }
        }

        @Test func ephemeralPortIsReportedAndReachable() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("web")))
                var spec = f.spec("web", RuntimeFixture.httpd("ephemeral"), networks: [network.name])
                spec.ports = [PortSpec(hostIP: "127.0.0.1", containerPort: 80)]
                let created = try await f.runtime.createContainer(spec)
                let port = try #require(created.ports.first?.hostPort)
                #expect(port > 0 && created.ports.first?.containerPort == 80)
                try await f.runtime.startContainer(spec.name)
                #expect(try await f.info(spec.name).ports == created.ports)
                try await f.waitForHTTPD(spec.name)
                #expect(
                    try await sh("curl", "--silent", "--max-time", "10", "http://127.0.0.1:\(port)/") == "ephemeral\n")
            }
        }

        @Test func aPortIsFreeAgainAtOnceWhileAnExecRuns() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("web")))
                let port = try freePort()
                var spec = f.spec("web", RuntimeFixture.httpd("one"), networks: [network.name])
                spec.ports = [PortSpec(hostIP: "127.0.0.1", hostPort: port, containerPort: 80)]
                try await f.run(spec)
                let sleeper = try await f.run(f.spec("sleeper", ["sleep", "1000"]))
                let runtime = f.runtime
                // A crun exec spawned while the port is published must not
                // inherit its listening socket (SwiftNIO sets no O_CLOEXEC)...
                let exec = Task { try await runtime.exec(sleeper.name, ExecSpec(command: ["sleep", "6"])) }
                defer { exec.cancel() }
                let running = try await eventually {
                    try await runtime.processes(sleeper.name).processes.contains { $0.last == "sleep 6" }
                }
                #expect(running)
                // ...or the same port could not be published again until it ends.
                try await runtime.removeContainer(spec.name, force: true)
                spec.name = f.name("web2")
                let again = try await runtime.createContainer(spec)
                #expect(again.ports.first?.hostPort == port)
            }
        }

        @Test func takenPortIsAnErrorNamingItAndLeavesNothing() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("web")))
                let (socket, port) = try listeningSocket()
                defer { close(socket) }
                var spec = f.spec("web", RuntimeFixture.httpd("never"), networks: [network.name])
                spec.ports = [PortSpec(hostIP: "127.0.0.1", hostPort: port, containerPort: 80)]
                let error = await #expect(throws: BerthError.self) { try await f.runtime.createContainer(spec) }
                #expect(error?.code == .inUse)
                #expect(
                    error?.message.contains("127.0.0.1") == true && error?.message.contains("\(port)") == true,
                    "\(String(describing: error))")
                // Nothing of it is left: not listed, no endpoint, no namespace, no bundle.
                #expect(try await f.runtime.containers(matching: LabelFilter()).isEmpty)
                #expect(await f.runtime.bridges.list().allSatisfy { $0.endpoints.isEmpty })
                #expect(!FileManager.default.fileExists(atPath: f.root + "/netns/" + spec.name))
                #expect(!FileManager.default.fileExists(atPath: f.root + "/containers/" + spec.name))
                #expect(!FileManager.default.fileExists(atPath: f.root + "/runtime/containers/" + spec.name + ".json"))
                // And the name is free again.
                spec.ports = []
                _ = try await f.runtime.createContainer(spec)
            }
        }
    }
}

/// A TCP port on 127.0.0.1 that nobody listens on now.
func freePort() throws -> Int {
    let (socket, port) = try listeningSocket()
    close(socket)
    return port
}

/// A socket listening on 127.0.0.1 on `port` (0: one the kernel picks), and the port.
func listeningSocket(port: Int = 0) throws -> (Int32, Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BerthError(.system, "socket") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
            bind(fd, sockaddrPointer, length) == 0 && listen(fd, 1) == 0
                && getsockname(fd, sockaddrPointer, &length) == 0
        }
    }
    guard bound else {
        let failure = errno
        close(fd)
        throw BerthError(
            .system, "binding a test socket on 127.0.0.1:\(port)", cause: String(cString: strerror(failure)))
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
