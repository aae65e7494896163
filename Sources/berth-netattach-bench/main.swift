// berth-netattach-bench: how long it takes to plug one container into a
// bridge network, the step a fifty-container `up` repeats fifty times.
//
//   berth-netattach-bench [--count N] [--reference M] [--prefix berthXXXX] [--root DIR]
//
// Creates one bridge, then N times: a network namespace (timed apart) and
// `attachContainer` into it (timed). For comparison in the same run it also
// times the same attach done one netlink operation at a time (create,
// master, up, move, rename, address, up, route) and, M times, by running
// `ip` as a shell script would. Prints medians, the ratios, and whether the
// median attach meets the 5 ms target (exit 1 if not). Everything it made
// is deleted before it exits, also when a step fails. Needs root.
import Glibc
import HostOS

struct Options {
    var count = 100
    var reference = 20
    var prefix = "berth" + String(UInt16.random(in: 0x1000...0xFFFF), radix: 16)
    var root: String?

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw HostOSError(.invalidArgument, "\(flag) needs a value") }
            switch flag {
            case "--count": count = try Self.number(flag, value, from: 1)
            case "--reference": reference = try Self.number(flag, value, from: 0)
            case "--prefix": prefix = value
            case "--root": root = value
            default: throw HostOSError(.invalidArgument, "unknown option \(flag)")
            }
        }
        // Host veths are <prefix>f<n> and <prefix>s<n>: 15 bytes at most.
        guard prefix.hasPrefix("berth"), prefix.utf8.count <= 9 else {
            throw HostOSError(.invalidArgument, "--prefix must begin with berth and have at most 9 bytes")
        }
    }

    static func number(_ flag: String, _ value: String, from minimum: Int) throws -> Int {
        guard let number = Int(value), (minimum...5000).contains(number) else {
            throw HostOSError(.invalidArgument, "\(flag) wants \(minimum)-5000, not \(value)")
        }
        return number
    }
}

/// What the run made, deleted in reverse by `tearDown`.
final class Made {
    var veths: [InterfaceName] = []
    var namespaces: [NetworkNamespace] = []
    var bridge: InterfaceName?
    var root: String?

    func tearDown(_ host: RTNetlink) -> [String] {
        var failures: [String] = []
        for veth in veths.reversed() {
            // A reference run's veth may already be gone with a failure.
            if (try? host.linkIndex(of: veth)) == nil { continue }
            do { try host.deleteLink(veth) } catch { failures.append("\(error)") }
        }
        for namespace in namespaces.reversed() {
            do { try namespace.delete() } catch { failures.append("\(error)") }
        }
        if let bridge {
            do { try host.deleteLink(bridge) } catch { failures.append("\(error)") }
        }
        if let root {
            rmdir(root + "/netns")
            if rmdir(root) != 0 { failures.append("rmdir \(root): \(HostOSError.describe(errno: errno))") }
        }
        return failures
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return milliseconds(ContinuousClock.now - start)
}

func summary(_ samples: [Double]) -> (median: Double, p90: Double, min: Double, max: Double) {
    let sorted = samples.sorted()
    guard let first = sorted.first, let last = sorted.last else { return (0, 0, 0, 0) }
    let middle = sorted.count / 2
    let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    return (median, sorted[min(sorted.count - 1, sorted.count * 9 / 10)], first, last)
}

func format(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = String(hundredths % 100)
    return "\(hundredths / 100).\(fraction.count == 1 ? "0" + fraction : fraction)"
}

func report(_ label: String, _ samples: [Double]) {
    let stats = summary(samples)
    let padded = label + String(repeating: " ", count: max(0, 22 - label.count))
    print(
        "\(padded) median \(format(stats.median)) ms  p90 \(format(stats.p90))"
            + "  min \(format(stats.min))  max \(format(stats.max))  (n=\(samples.count))")
}

/// The same attach as `attachContainer`, one operation per request, the
/// recipe most tools follow (and what the fused version saves).
func attachStepwise(
    _ host: RTNetlink, namespace: NetworkNamespace, bridge: InterfaceName, veth: InterfaceName,
    peer: InterfaceName, address: IPv4CIDR, gateway: IPv4Address
) throws {
    try host.createVethPair(veth, peer: peer)
    try host.setMaster(veth, master: bridge)
    try host.setLink(veth, up: true)
    try namespace.withFileDescriptor { try host.moveLink(peer, toNamespaceFD: $0) }
    let inside = try namespace.netlink()
    try inside.renameLink(peer, to: .eth0)
    try inside.addAddress(address, to: .eth0)
    try inside.setLink(.eth0, up: true)
    try inside.addDefaultRoute(via: gateway, device: .eth0)
}

/// The same attach by running `ip` eight times, as a shell script would.
func attachWithIP(
    namespace: NetworkNamespace, bridge: InterfaceName, veth: InterfaceName, peer: InterfaceName,
    address: IPv4CIDR, gateway: IPv4Address
) throws {
    let inside = ["nsenter", "--net=\(namespace.path)", "ip"]
    let steps: [[String]] = [
        ["ip", "link", "add", veth.rawValue, "type", "veth", "peer", "name", peer.rawValue],
        ["ip", "link", "set", veth.rawValue, "master", bridge.rawValue],
        ["ip", "link", "set", veth.rawValue, "up"],
        ["ip", "link", "set", peer.rawValue, "netns", namespace.path],
        inside + ["link", "set", peer.rawValue, "name", "eth0"],
        inside + ["addr", "add", address.description, "dev", "eth0"],
        inside + ["link", "set", "eth0", "up"],
        inside + ["route", "add", "default", "via", gateway.description],
    ]
    for step in steps { try ProcessRunner().runBlocking(Command(step, timeout: .seconds(10))).check() }
}

func run(_ options: Options, _ host: RTNetlink, _ made: Made) throws -> Bool {
    var template = Array((options.root ?? "/tmp/berth-netattach-XXXXXX").utf8CString)
    if options.root == nil {
        guard let path = mkdtemp(&template) else { throw HostOSError(.syscall, "mkdtemp", errno: errno) }
        made.root = String(cString: path)
    }
    let root = made.root ?? options.root ?? "/tmp"
    let bridge = try InterfaceName(parsing: options.prefix + "br")
    // A /16 in 10.128.0.0/9 that nothing on the host routes.
    let routes = try host.ipv4Routes().map(\.destination).filter { $0.prefixLength > 0 }
    var subnet: IPv4CIDR?
    for second in 128...255 where subnet == nil {
        let candidate = IPv4CIDR(address: IPv4Address(UInt32(10 << 24 | second << 16)), prefixLength: 16)
        if let candidate, !routes.contains(where: { $0.overlaps(candidate) }) { subnet = candidate }
    }
    guard let subnet else { throw HostOSError(.invalidArgument, "no free /16 in 10.128.0.0/9") }
    let gateway = IPv4Address(subnet.address.value + 1)
    try host.createBridge(bridge)
    made.bridge = bridge
    try host.addAddress(IPv4CIDR(address: gateway, prefixLength: 16) ?? subnet, to: bridge)
    try host.setLink(bridge, up: true)
    print("netattach: bridge \(bridge), subnet \(subnet), \(options.count) attaches, \(options.reference) via ip(8)")

    var created: [Double] = []
    var fused: [Double] = []
    var stepwise: [Double] = []
    var shelled: [Double] = []
    var next: UInt32 = 2
    func namespace(_ tag: String, _ index: Int) throws -> NetworkNamespace {
        guard let name = NetworkNamespace.Name("\(options.prefix)-\(tag)\(index)") else {
            throw HostOSError(.invalidArgument, "bad namespace name")
        }
        var namespace: NetworkNamespace?
        created.append(try timed { namespace = try NetworkNamespace.create(name, in: root + "/netns") })
        guard let namespace else { throw HostOSError(.invalidArgument, "namespace \(name) not created") }
        made.namespaces.append(namespace)
        return namespace
    }
    func nextAddress() -> IPv4CIDR {
        defer { next += 1 }
        return IPv4CIDR(address: IPv4Address(subnet.address.value + next), prefixLength: 16) ?? subnet
    }
    for index in 0..<options.count {
        let target = try namespace("f", index)
        let veth = try InterfaceName(parsing: "\(options.prefix)f\(index)")
        made.veths.append(veth)
        let address = nextAddress()
        fused.append(try timed {
            try host.attachContainer(
                netnsPath: target.path, bridge: bridge, hostVethName: veth, address: address, gateway: gateway,
                defaultRoute: true)
        })
    }
    for index in 0..<options.count {
        let target = try namespace("s", index)
        let veth = try InterfaceName(parsing: "\(options.prefix)s\(index)")
        let peer = try InterfaceName(parsing: "\(options.prefix)t\(index)")
        made.veths.append(veth)
        let address = nextAddress()
        stepwise.append(try timed {
            try attachStepwise(
                host, namespace: target, bridge: bridge, veth: veth, peer: peer, address: address, gateway: gateway)
        })
    }
    for index in 0..<options.reference {
        let target = try namespace("i", index)
        let veth = try InterfaceName(parsing: "\(options.prefix)i\(index)")
        let peer = try InterfaceName(parsing: "\(options.prefix)j\(index)")
        made.veths.append(veth)
        let address = nextAddress()
        shelled.append(try timed {
            try attachWithIP(
                namespace: target, bridge: bridge, veth: veth, peer: peer, address: address, gateway: gateway)
        })
    }

    report("netns create", created)
    report("attachContainer", fused)
    report("attach, op by op", stepwise)
    if !shelled.isEmpty { report("attach via ip(8)", shelled) }
    let median = summary(fused).median
    print("ratio: op-by-op / attachContainer = \(format(summary(stepwise).median / median))x")
    if !shelled.isEmpty { print("ratio: ip(8) / attachContainer = \(format(summary(shelled).median / median))x") }
    let pass = median <= 5
    print("target: attachContainer median <= 5 ms: \(pass ? "PASS" : "FAIL") (\(format(median)) ms)")
    return pass
}

guard getuid() == 0 else {
    print("berth-netattach-bench: needs root (network namespaces, bridges)")
    exit(2)
}
var status: Int32 = 0
do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let host = try RTNetlink()
    let made = Made()
    do {
        status = try run(options, host, made) ? 0 : 1
    } catch {
        print("berth-netattach-bench: \(error)")
        status = 1
    }
    let start = ContinuousClock.now
    let failures = made.tearDown(host)
    let took = format(milliseconds(ContinuousClock.now - start))
    print("cleanup: \(made.veths.count) veths, \(made.namespaces.count) namespaces, 1 bridge in \(took) ms")
    for failure in failures { print("cleanup failed: \(failure)") }
    if !failures.isEmpty { status = 1 }
} catch {
    print("berth-netattach-bench: \(error)")
    status = 2
}
exit(status)
