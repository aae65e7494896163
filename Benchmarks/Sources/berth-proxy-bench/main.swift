// berth-proxy-bench: throughput of a published port through berthd's
// userland proxy, against a direct connection to the container's address,
// in the same run.
//
// Makes one bridge network with one "container" (a network namespace) that
// runs a sink: it reads and discards. Then R rounds, alternating: K streams
// straight to <container>:5001, and K streams to 127.0.0.1:<published port>
// through a `PortProxy`. Each stream sends for S seconds, half-closes, and
// waits for the FIN that comes back once the sink has read everything, so
// the figure is bytes delivered per second, not bytes buffered. Prints the
// medians and their ratio; target: proxy / direct >= 0.7 (exit 1 if missed).
// Everything it made is removed before it exits. Needs root.
import BenchSupport
import Glibc
import HostOS
@_spi(Components) import RuntimeLinux

let usage = """
    usage: berth-proxy-bench [--seconds S] [--rounds R] [--streams K] [--prefix berthXXXX] [--root DIR]
      --seconds S      how long each stream sends (1-60, default 3)
      --rounds R       direct and proxied runs, alternating (1-20, default 3)
      --streams K      parallel streams in each run (1-64, default 1)
      --prefix P       names of links and the nft table begin with it (berth…)
      --root DIR       where state and the namespace file go (default: a fresh /tmp/berth-proxy-bench.XXXXXX)
    Needs root. scripts/bench/port-proxy.sh builds and runs it.
    """

struct Options {
    let seconds: Int
    let rounds: Int
    let streams: Int
    let prefix: String
    let root: String?

    init(_ arguments: BenchArguments) throws {
        seconds = try arguments.number("--seconds", default: 3, in: 1...60)
        rounds = try arguments.number("--rounds", default: 3, in: 1...20)
        streams = try arguments.number("--streams", default: 1, in: 1...64)
        prefix = arguments.namePrefix()
        root = arguments.text("--root")
    }
}

/// The sink: a listening socket inside the container's namespace; every
/// connection is read to EOF on its own thread and then closed.
final class Sink: Sendable {
    let fd: Int32

    init(in namespace: NetworkNamespace, port: UInt16) throws {
        fd = try namespace.runBlocking { try Sockets.listening(port: port) }
    }

    /// Accepts until the socket is shut down.
    func serve() async {
        while true {
            let accepted = try? await DedicatedThread.run { [fd] in
                // Plain accept: this bench spawns no process, so no fd can leak into one.
                try Syscall.check("accept") { accept(fd, nil, nil) }
            }
            guard let connection = accepted else { return }
            Task.detached {
                _ = try? await DedicatedThread.run { Sockets.drain(connection) }
                close(connection)
            }
        }
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)) }
}

enum Sockets {
    static func listening(port: UInt16) throws -> Int32 {
        let fd = try Syscall.check("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in(family: AF_INET, port: port, address: 0)
        try Syscall.check("bind :\(port)") {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        try Syscall.check("listen") { listen(fd, 128) }
        return fd
    }

    /// Reads and discards until EOF.
    static func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
    }

    /// Sends for `seconds`, half-closes, waits for the peer's FIN; returns
    /// the bytes sent and the time until that FIN.
    static func stream(to host: UInt32, port: UInt16, seconds: Int) throws -> (bytes: Int, elapsed: Duration) {
        let fd = try Syscall.check("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { close(fd) }
        var address = sockaddr_in(family: AF_INET, port: port, address: host)
        try Syscall.check("connect") {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        let chunk = [UInt8](repeating: 0x5A, count: 1 << 18)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        var total = 0
        while clock.now < deadline {
            let sent = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 { throw HostOSError(.syscall, "send", errno: errno) }
            total += sent
        }
        shutdown(fd, Int32(SHUT_WR))
        drain(fd)
        return (total, clock.now - start)
    }
}

extension sockaddr_in {
    init(family: Int32, port: UInt16, address: UInt32) {
        self.init()
        sin_family = sa_family_t(family)
        sin_port = port.bigEndian
        sin_addr.s_addr = address.bigEndian
    }
}

/// K parallel streams; returns their combined throughput in MiB/s.
func measure(_ host: IPv4, _ port: UInt16, _ options: Options) async throws -> Double {
    let results = try await withThrowingTaskGroup(of: (Int, Duration).self) { group in
        for _ in 0..<options.streams {
            group.addTask {
                try await DedicatedThread.run {
                    try Sockets.stream(to: host.value, port: port, seconds: options.seconds)
                }
            }
        }
        return try await group.reduce(into: []) { $0.append($1) }
    }
    let bytes = Double(results.map(\.0).reduce(0, +))
    let slowest = results.map(\.1).max() ?? .seconds(1)
    return bytes / seconds(slowest) / 1_048_576
}

func run(_ options: Options, root: String, cleanups: inout [() async -> Void]) async throws -> Bool {
    let table = "berth_b" + options.prefix.dropFirst(5)
    let pool = try AddressPool(base: IPv4CIDR(parsing: "10.213.240.0/20"), size: 24)
    let networks = try BridgeNetworks(
        .init(stateDirectory: root + "/state", namePrefix: options.prefix, tableName: table, pools: [pool]))
    cleanups.append { try? await networks.removeAll() }
    let name = try NetworkName(parsing: "\(options.prefix)_bench")
    let network = try await networks.create(NetworkRequest(name: name))
    guard let nsName = NetworkNamespace.Name("sink") else { throw BenchError("bad namespace name") }
    let namespace = try NetworkNamespace.create(nsName, in: root + "/netns")
    cleanups.append { try? namespace.delete() }
    let endpoint = try await networks.attach(name, container: "sink", netnsPath: namespace.path, defaultRoute: true)
    cleanups.append { try? await networks.detach(name, netnsPath: namespace.path) }

    let sink = try Sink(in: namespace, port: 5001)
    let serving = Task { await sink.serve() }
    cleanups.append {
        sink.stop()
        await serving.value
        close(sink.fd)
    }
    let proxy = PortProxy()
    cleanups.append { await proxy.shutdown() }
    let container = endpoint.address.address
    let published = try await proxy.publish(
        ProxyPortMapping(hostIP: IPv4(0x7F00_0001), hostPort: nil, targetIP: container, targetPort: 5001))
    print("proxy-bench: network \(network.subnet) on \(network.bridge), sink \(container):5001, published \(published)")
    print("proxy-bench: \(options.rounds) rounds x \(options.streams) stream(s) x \(options.seconds) s each way")

    var direct: [Double] = []
    var proxied: [Double] = []
    for round in 1...options.rounds {
        direct.append(try await measure(container, 5001, options))
        proxied.append(try await measure(IPv4(0x7F00_0001), published.hostPort, options))
        print("round \(round): direct \(format(direct.last ?? 0)) MiB/s, proxy \(format(proxied.last ?? 0)) MiB/s")
    }
    let ratio = median(proxied) / median(direct)
    print("median: direct \(format(median(direct))) MiB/s, proxy \(format(median(proxied))) MiB/s")
    print("ratio: proxy / direct = \(format(ratio))")
    let pass = ratio >= 0.7
    print("target: ratio >= 0.70: \(pass ? "PASS" : "FAIL")")
    return pass
}

var status: Int32 = 0
do {
    let options = try Options(
        BenchArguments(usage: usage, options: ["--seconds", "--rounds", "--streams", "--prefix", "--root"]))
    requireRoot("berth-proxy-bench", "network namespaces, bridges, nftables")
    let root = try options.root ?? makeScratchRoot("berth-proxy-bench")
    var cleanups: [() async -> Void] = []
    do {
        status = try await run(options, root: root, cleanups: &cleanups) ? 0 : 1
    } catch {
        print("berth-proxy-bench: \(error)")
        status = 2
    }
    for cleanup in cleanups.reversed() { await cleanup() }
    if options.root == nil {
        rmdir(root + "/netns")
        unlink(root + "/state/networks.json")
        rmdir(root + "/state")
        rmdir(root)
    }
} catch {
    print("berth-proxy-bench: \(error)")
    status = 2
}
exit(status)
