import Glibc
import HostOS
import NIOCore
import NIOPosix
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

extension HostResourceTests {
    /// The proxy forwarding to servers inside a "container" (a namespace on
    /// one of the test's networks), checked with real clients.
    @Suite struct PortProxyTests {
        /// A network with one container, an event loop for the test's
        /// servers, and a proxy; all stopped when the test ends.
        func withContainer(
            idleTimeout: TimeAmount = .seconds(90),
            _ body: (NetworkFixture, NetworkNamespace, IPv4, any EventLoopGroup, PortProxy) async throws -> Void
        ) async throws {
            try await NetworkFixture.with { fixture in
                let name = try fixture.name("ports")
                try await fixture.networks.create(NetworkRequest(name: name))
                let namespace = try fixture.container("app")
                let endpoint = try await fixture.networks.attach(
                    name, container: "app", netnsPath: namespace.path, defaultRoute: true)
                let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
                fixture.scope.onExit("stop the servers' event loop") { try await group.shutdownGracefully() }
                let proxy = PortProxy(options: PortProxyOptions(udpIdleTimeout: idleTimeout))
                fixture.scope.onExit("shut the proxy down") { await proxy.shutdown() }
                try await body(fixture, namespace, endpoint.address.address, group, proxy)
            }
        }

        @Test func twoHundredParallelCurlsAllGetTheirAnswer() async throws {
            try await withContainer { fixture, namespace, address, group, proxy in
                let accepted = Counter()
                let fd = try socketInside(namespace, udp: false, port: 8080)
                let server = try await TestServer.http(.socket(fd), group: group, accepted: accepted)
                fixture.scope.onExit("close the HTTP server") { try await server.close() }
                let port = try await proxy.publish(
                    ProxyPortMapping(hostIP: IPv4("127.0.0.1"), hostPort: nil, targetIP: address, targetPort: 8080))
                #expect(port.hostPort != 0)

                var arguments = [
                    "curl", "--silent", "--show-error", "--parallel", "--parallel-immediate", "--parallel-max", "200",
                    "--max-time", "30", "--write-out", "%{http_code}\\n",
                ]
                for index in 0..<200 {
                    arguments += ["--output", "/dev/null", "http://127.0.0.1:\(port.hostPort)/\(index)"]
                }
                let result = try await ProcessRunner().run(HostOS.Command(arguments, timeout: .seconds(60)))
                let codes = result.output.split(separator: "\n")
                #expect(result.succeeded, "curl: \(result.errorOutput)")
                #expect(codes.count == 200 && codes.allSatisfy { $0 == "200" }, "\(codes.filter { $0 != "200" })")
                #expect(accepted.value == 200)
            }
        }

        @Test func udpFlowsArePerClientAndExpireWhenIdle() async throws {
            try await withContainer(idleTimeout: .milliseconds(1500)) { fixture, namespace, address, group, proxy in
                let fd = try socketInside(namespace, udp: true, port: 5353)
                let server = try await TestServer.udpEcho(.socket(fd), group: group)
                fixture.scope.onExit("close the UDP server") { try await server.close() }
                let port = try await proxy.publish(
                    ProxyPortMapping(
                        hostIP: IPv4("127.0.0.1"), hostPort: 0, protocol: .udp, targetIP: address,
                        targetPort: 5353))

                let first = try UDPClient("127.0.0.1", port.hostPort)
                let hello = try await first.ask("hello")
                let flowPort = try #require(hello.split(separator: " ").first)
                #expect(hello == "\(flowPort) hello")
                #expect(try await first.ask("again") == "\(flowPort) again")
                let second = try UDPClient("127.0.0.1", port.hostPort)
                let other = try await second.ask("x")
                #expect(!other.hasPrefix("\(flowPort) ") && other.hasSuffix(" x"))
                // A big datagram crosses whole, both ways.
                let big = String(repeating: "b", count: 60_000)
                #expect(try await first.ask(big).hasSuffix(" " + big))

                // Idle past the timeout, the flow is gone: the next datagram
                // reaches the container from a new source port (each try
                // waits past the timeout first: a datagram refreshes the flow).
                let renewed = try await eventually {
                    try await Task.sleep(for: .milliseconds(2000))
                    return !(try await first.ask("later").hasPrefix("\(flowPort) "))
                }
                #expect(renewed)
            }
        }

        @Test func unpublishingClosesTheListenerAndItsConnections() async throws {
            try await withContainer { fixture, namespace, address, group, proxy in
                let fd = try socketInside(namespace, udp: false, port: 7)
                let server = try await TestServer.echo(.socket(fd), group: group)
                fixture.scope.onExit("close the echo server") { try await server.close() }
                // An address of its own on loopback: other tests publish and
                // probe ports on 127.0.0.1 and 0.0.0.0 meanwhile, and one of
                // them could take the port as soon as it is free.
                let host = IPv4(0x7F00_0000 | UInt32.random(in: 0x0100...0xFFFE))
                let port = try await proxy.publish(
                    ProxyPortMapping(hostIP: host, hostPort: nil, targetIP: address, targetPort: 7))
                let echoed = try await SocketClient.exchange("\(host)", port.hostPort, sending: Array("ping".utf8))
                #expect(echoed == Array("ping".utf8))

                let open = try SocketClient.connect("\(host)", port.hostPort, udp: false)
                defer { close(open) }
                #expect(try await eventually { proxy.connectionCount(port) == 1 })
                await proxy.unpublish(port)
                #expect(proxy.published.isEmpty)
                // Eventually: a process the tests spawn at that moment holds a
                // copy of the listening socket until its exec.
                #expect(try await eventually { !SocketClient.canConnect("\(host)", port.hostPort) })
                // The open connection ends too: EOF (or a reset), no hang.
                let read = try await DedicatedThread.run { [open] in
                    var byte: UInt8 = 0
                    return recv(open, &byte, 1, 0)
                }
                #expect(read <= 0)
            }
        }
    }
}
