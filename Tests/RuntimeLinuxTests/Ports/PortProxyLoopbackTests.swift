import BerthModel
import Glibc
import HostOS
import NIOCore
import NIOPosix
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

/// The proxy against servers on 127.0.0.1: no namespace, so no root.
@Suite struct PortProxyLoopbackTests {
    static let loopback = IPv4(0x7F00_0001)

    /// An event loop for the servers and a proxy, both stopped afterwards.
    func withProxy(_ body: (any EventLoopGroup, PortProxy) async throws -> Void) async throws {
        try await Scope.with { scope in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            scope.onExit("stop the servers' event loop") { try await group.shutdownGracefully() }
            let proxy = PortProxy()
            scope.onExit("shut the proxy down") { await proxy.shutdown() }
            try await body(group, proxy)
        }
    }

    @Test func aTakenPortIsAnErrorThatNamesAddressPortAndProtocol() async throws {
        try await withProxy { _, proxy in
            for proto in PortProtocol.allCases {
                for host in [Self.loopback, nil] {
                    let first = try await proxy.publish(
                        ProxyPortMapping(
                            hostIP: host, hostPort: 0, protocol: proto, targetIP: Self.loopback, targetPort: 9))
                    let error = try await #require(throws: BerthError.self) {
                        try await proxy.publish(
                            ProxyPortMapping(
                                hostIP: host, hostPort: first.hostPort, protocol: proto, targetIP: Self.loopback,
                                targetPort: 9))
                    }
                    #expect(error.code == .inUse)
                    let address = host.map(\.description) ?? "0.0.0.0"
                    #expect(error.description == "port \(first.hostPort)/\(proto) on \(address) is already in use")
                    await proxy.unpublish(first)
                }
            }
            let foreign = try await #require(throws: BerthError.self) {
                try await proxy.publish(
                    ProxyPortMapping(
                        hostIP: IPv4("10.213.255.254"), hostPort: 0, targetIP: Self.loopback, targetPort: 9))
            }
            #expect(foreign.code == .addressUnavailable)
            #expect(
                foreign.description
                    == "cannot listen on port 0/tcp on 10.213.255.254: 10.213.255.254 is not an address of this host")
        }
    }

    @Test func aPortOnEveryAddressAnswersOnIPv6LoopbackToo() async throws {
        try await withProxy { group, proxy in
            let server = try await TestServer.echo(
                .address(try SocketAddress(ipAddress: "127.0.0.1", port: 0)), group: group)
            defer { server.close(promise: nil) }
            let target = UInt16(try #require(server.localAddress?.port))
            // Every address: 0.0.0.0 and, as docker publishes it, [::].
            let port = try await proxy.publish(
                ProxyPortMapping(hostPort: nil, targetIP: Self.loopback, targetPort: target))
            let payload = Array("hello over ::1".utf8)
            #expect(try await SocketClient.exchange("::1", port.hostPort, sending: payload) == payload)
            #expect(try await SocketClient.exchange("127.0.0.1", port.hostPort, sending: payload) == payload)
            // Gone from both when unpublished.
            await proxy.unpublish(port)
            #expect(throws: (any Error).self) { _ = try SocketClient.connect("::1", port.hostPort, udp: false) }
            // A host address named: that address only.
            let named = try await proxy.publish(
                ProxyPortMapping(hostIP: Self.loopback, hostPort: nil, targetIP: Self.loopback, targetPort: target))
            #expect(throws: (any Error).self) { _ = try SocketClient.connect("::1", named.hostPort, udp: false) }
        }
    }

    @Test func aHalfClosedClientGetsTheWholeEchoBack() async throws {
        try await withProxy { group, proxy in
            let server = try await TestServer.echo(
                .address(try SocketAddress(ipAddress: "127.0.0.1", port: 0)), group: group)
            defer { server.close(promise: nil) }
            let target = UInt16(try #require(server.localAddress?.port))
            let port = try await proxy.publish(
                ProxyPortMapping(hostIP: Self.loopback, hostPort: nil, targetIP: Self.loopback, targetPort: target))
            // 8 MiB, far more than the socket buffers and water marks hold,
            // so reading pauses and resumes many times on both sides.
            // A pattern that never repeats within 256 bytes, so a lost or
            // reordered chunk shows.
            let payload = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 8) ^ ($0 >> 16)) }
            let echoed = try await SocketClient.exchange("127.0.0.1", port.hostPort, sending: payload)
            #expect(echoed.count == payload.count)
            #expect(echoed == payload)
            #expect(try await eventually { proxy.connectionCount(port) == 0 })
        }
    }

    @Test func aRangeIsPublishedAllOrNothing() async throws {
        try await withProxy { _, proxy in
            // A loopback address of its own: the parallel tests' clients hold
            // ephemeral ports on 127.0.0.1, and one could take a port of the
            // range between two steps of this test.
            let host = IPv4(0x7F00_0000 | UInt32.random(in: 0x0100...0xFFFE))
            // Three free consecutive ports: take an ephemeral one and try the
            // two above it; on a busy machine, try again.
            var published: [PublishedPort] = []
            for _ in 0..<20 where published.isEmpty {
                let probe = try await proxy.publish(
                    ProxyPortMapping(hostIP: host, hostPort: 0, targetIP: Self.loopback, targetPort: 9))
                await proxy.unpublish(probe)
                guard probe.hostPort < 65_000 else { continue }
                let range = try ProxyPortMapping.range(
                    hostIP: host, hostPorts: probe.hostPort...probe.hostPort + 2, targetIP: Self.loopback,
                    targetPorts: 80...82)
                published = (try? await proxy.publish(range)) ?? []
            }
            #expect(published.map(\.mapping.targetPort) == [80, 81, 82])
            let base = try #require(published.first).hostPort
            #expect(published.map(\.hostPort) == [base, base + 1, base + 2])
            // Overlapping the last port: the first two are given back.
            let overlapping = try ProxyPortMapping.range(
                hostIP: host, hostPorts: base...base + 2, targetIP: Self.loopback, targetPorts: 1...3)
            await proxy.unpublish(published[0])
            await proxy.unpublish(published[1])
            // A process another test is spawning may hold a copy of the
            // listening sockets until its exec: wait until both are really gone.
            #expect(
                try await eventually {
                    !SocketClient.canConnect("\(host)", base) && !SocketClient.canConnect("\(host)", base + 1)
                })
            let error = try await #require(throws: BerthError.self) { try await proxy.publish(overlapping) }
            #expect(error.description == "port \(base + 2)/tcp on \(host) is already in use")
            #expect(proxy.published.map(\.hostPort) == [base + 2])
            #expect(try await eventually { !SocketClient.canConnect("\(host)", base) })

            let uneven = try #require(throws: BerthError.self) {
                try ProxyPortMapping.range(hostPorts: 8000...8002, targetIP: Self.loopback, targetPorts: 80...81)
            }
            #expect(
                uneven.description
                    == "port range 8000-8002:80-81/tcp: the host range has 3 ports, the container range 2")
        }
    }

    @Test func aTargetThatRefusesEndsTheClientsConnection() async throws {
        try await withProxy { _, proxy in
            // A port nothing listens on: bind one, note it, close it.
            let probe = try await proxy.publish(
                ProxyPortMapping(hostIP: Self.loopback, hostPort: 0, targetIP: Self.loopback, targetPort: 9))
            await proxy.unpublish(probe)
            let port = try await proxy.publish(
                ProxyPortMapping(
                    hostIP: Self.loopback, hostPort: 0, targetIP: Self.loopback, targetPort: probe.hostPort))
            let answer = try? await SocketClient.exchange("127.0.0.1", port.hostPort, sending: Array("hi".utf8))
            #expect(answer == nil || answer == [])
            #expect(try await eventually { proxy.connectionCount(port) == 0 })
            #expect(
                ProxyPortMapping(hostPort: 8080, targetIP: Self.loopback, targetPort: 80).description
                    == "0.0.0.0:8080->127.0.0.1:80/tcp")
        }
    }
}
