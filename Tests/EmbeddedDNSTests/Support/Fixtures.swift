import EmbeddedDNS
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TestSupport

/// Runs `body` with a DNS server listening on 127.0.0.1 (UDP and TCP, a port
/// the kernel picks) and shuts the server down afterwards, even when `body`
/// throws.
func withServer<T>(
    _ configuration: DNSServer.Configuration, _ body: (DNSServer, Int) async throws -> T
) async throws -> T {
    let server = DNSServer(configuration: configuration)
    let bound = try await server.start(addresses: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)])
    guard let port = bound.first?.port else {
        await server.shutdown()
        throw TestFailure("server bound no address")
    }
    do {
        let result = try await body(server, port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Ports already handed out by `freeLoopbackPort` in this test process. The
/// kernel readily gives a just-closed port to the next `bind(0)`, so two
/// tests running in parallel could otherwise be handed the same one.
private let handedOutPorts = Mutex<Set<Int>>([])

/// A loopback port that was free a moment ago for both UDP and TCP (bound,
/// read and closed) and that no other test in this process has been given.
/// Another process could still take it in between; callers that start a
/// server on it retry with a new port when the bind fails.
func freeLoopbackPort() async throws -> Int {
    for _ in 0..<50 {
        let udp = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = udp.localAddress?.port else { continue }
        let tcp = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).get()
        try await udp.close()
        try await tcp?.close()
        if tcp != nil, handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw TestFailure("no free loopback port")
}

/// A dnsmasq on 127.0.0.1 playing the host's upstream resolver.
enum Dnsmasq {
    static var available: Bool { Subprocess.available("dnsmasq") && Dig.available }

    /// Starts dnsmasq with `arguments` added (`--address=/name/ip`,
    /// `--addn-hosts=file`), waits until it answers `probe`, runs `body` with
    /// its port, and kills it afterwards, even when `body` throws.
    static func with<T>(
        _ arguments: [String], probe: String, _ body: (Int) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let port = try await freeLoopbackPort()
            let scratch = try ScratchDirectory(prefix: "berth-dns-test")
            defer { try? scratch.remove() }
            let log = scratch.path("dnsmasq.log")
            let child = try Subprocess.spawn(
                "dnsmasq",
                [
                    "--no-daemon", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
                    "--no-hosts", "--conf-file=/dev/null",
                ] + arguments, stderrPath: log)
            do {
                try await waitUntil("dnsmasq answers on port \(port)") {
                    if let status = child.exitStatus() {
                        // Exit 2 is dnsmasq's "address in use": another process
                        // took the port since it was probed. Try another.
                        if status == 2 && attempt < 5 { throw PortTaken() }
                        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                        throw TestFailure("dnsmasq \(arguments) on port \(port) exited \(status) at start: \(said)")
                    }
                    return (try? await Dig.query(probe, port: port).status) == "NOERROR"
                }
                let result = try await body(port)
                await child.stop()
                return result
            } catch is PortTaken {
                continue
            } catch {
                await child.stop()
                throw error
            }
        }
    }

    private struct PortTaken: Error {}

    /// A hosts file, readable by the unprivileged user dnsmasq drops to,
    /// holding `lines`; removed after `body`.
    static func withHostsFile<T>(_ lines: [String], _ body: (String) async throws -> T) async throws -> T {
        try await withScratchDirectory(prefix: "berth-dns-test") { directory in
            chmod(directory.path, 0o755)
            let file = try directory.write("hosts", lines.joined(separator: "\n").appending("\n"), mode: 0o644)
            return try await body(file)
        }
    }
}

/// Shorthand for test data: an address that must parse.
func ip(_ text: String) throws -> IPv4Address {
    guard let address = IPv4Address(text) else { throw TestFailure("bad test address \(text)") }
    return address
}

/// Shorthand for test data: a subnet that must parse.
func subnet(_ text: String) throws -> IPv4Subnet {
    guard let subnet = IPv4Subnet(text) else { throw TestFailure("bad test subnet \(text)") }
    return subnet
}
