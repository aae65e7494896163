// berth-netattach-bench: how long it takes to plug one container into a
// bridge network, the step a fifty-container `up` repeats fifty times.
//
// Creates one bridge, then N times: a network namespace (timed apart) and
// `attachContainer` into it (timed). For comparison in the same run it also
// times the same attach done one netlink operation at a time (create,
// master, up, move, rename, address, up, route) and, M times, by running
// `ip` as a shell script would. Prints medians, the ratios, and whether the
// median attach meets the 5 ms target (exit 1 if not). Everything it made
// is deleted before it exits, also when a step fails. Needs root.
import BenchSupport
import Glibc
import HostOS

let usage = """
    usage: berth-netattach-bench [--count N] [--reference M] [--prefix berthXXXX] [--root DIR]
      --count N        attaches of each kind through netlink (1-5000, default 100)
      --reference M    attaches by running ip(8) (0-5000, default 20)
      --prefix P       names of links and namespaces begin with it (berth…, at most 9 bytes)
      --root DIR       where the namespace files go (default: a fresh /tmp/berth-netattach.XXXXXX)
    Needs root. scripts/bench/netattach.sh builds and runs it.
    """

struct Options {
    let count: Int
    let reference: Int
    let prefix: String
    let root: String?

    init(_ arguments: BenchArguments) throws {
        count = try arguments.number("--count", default: 100, in: 1...5000)
        reference = try arguments.number("--reference", default: 20, in: 0...5000)
        prefix = arguments.namePrefix()
        root = arguments.text("--root")
        // Host veths are <prefix>f<n> and <prefix>s<n>: 15 bytes at most.
        guard prefix.hasPrefix("berth"), prefix.utf8.count <= 9 else {
            throw BenchError("--prefix must begin with berth and have at most 9 bytes")
        }
    }
}

/// The three ways of attaching, each timed per container, on one bridge.
struct Attaches {
    let options: Options
    let host: RTNetlink
    let bridge: Bridge
    let root: String
    let made: Made
    /// How long each namespace took to make, in milliseconds.
    private(set) var created: [Double] = []
    private var next: UInt32 = 2

    init(_ options: Options, _ host: RTNetlink, _ bridge: Bridge, root: String, made: Made) {
        (self.options, self.host, self.bridge, self.root, self.made) = (options, host, bridge, root, made)
    }

    /// `attachContainer`: one fused netlink exchange per container.
    mutating func fused() throws -> [Double] {
        try (0..<options.count).map { index in
            let (target, veth, _, address) = try container("f", index)
            return try timed {
                try host.attachContainer(
                    netnsPath: target.path, bridge: bridge.name, hostVethName: veth, address: address,
                    gateway: bridge.gateway, defaultRoute: true)
            }
        }
    }

    /// One netlink operation at a time.
    mutating func stepwise() throws -> [Double] {
        try (0..<options.count).map { index in
            let (target, veth, peer, address) = try container("s", index)
            return try timed {
                try attachStepwise(
                    host, namespace: target, bridge: bridge.name, veth: veth, peer: peer, address: address,
                    gateway: bridge.gateway)
            }
        }
    }

    /// By running `ip`.
    mutating func shelled() throws -> [Double] {
        try (0..<options.reference).map { index in
            let (target, veth, peer, address) = try container("i", index)
            return try timed {
                try attachWithIP(
                    namespace: target, bridge: bridge.name, veth: veth, peer: peer, address: address,
                    gateway: bridge.gateway)
            }
        }
    }

    /// A container to attach: its namespace (made, and timed), its host veth
    /// and peer names (`<prefix><tag><n>`, the peer's tag one letter on), and
    /// the next address of the subnet.
    private mutating func container(
        _ tag: Character, _ index: Int
    ) throws -> (NetworkNamespace, InterfaceName, InterfaceName, IPv4CIDR) {
        guard let name = NetworkNamespace.Name("\(options.prefix)-\(tag)\(index)"),
            let peerTag = tag.asciiValue.map({ Character(UnicodeScalar($0 + 1)) })
        else { throw BenchError("bad namespace name") }
        var namespace: NetworkNamespace?
        created.append(try timed { namespace = try NetworkNamespace.create(name, in: root + "/netns") })
        guard let namespace else { throw BenchError("namespace \(name) not created") }
        made.namespaces.append(namespace)
        let veth = try InterfaceName(parsing: "\(options.prefix)\(tag)\(index)")
        made.veths.append(veth)
        let peer = try InterfaceName(parsing: "\(options.prefix)\(peerTag)\(index)")
        defer { next += 1 }
        let address = IPv4CIDR(address: IPv4(bridge.subnet.address.value + next), prefixLength: 16)
        return (namespace, veth, peer, address ?? bridge.subnet)
    }
}

func report(_ label: String, _ samples: [Double]) {
    let stats = Summary(samples)
    let padded = label + String(repeating: " ", count: max(0, 22 - label.count))
    print(
        "\(padded) median \(format(stats.median)) ms  p90 \(format(stats.p90))"
            + "  min \(format(stats.minimum))  max \(format(stats.maximum))  (n=\(samples.count))")
}

/// Measures, prints, and says whether the median attach met its target.
func run(_ options: Options, _ host: RTNetlink, _ made: Made) throws -> Bool {
    if options.root == nil { made.root = try makeScratchRoot("berth-netattach") }
    let root = made.root ?? options.root ?? "/tmp"
    let bridge = try Bridge.make(host, prefix: options.prefix, made: made)
    print(
        "netattach: bridge \(bridge.name), subnet \(bridge.subnet), \(options.count) attaches,"
            + " \(options.reference) via ip(8)")
    var attaches = Attaches(options, host, bridge, root: root, made: made)
    let fused = try attaches.fused()
    let stepwise = try attaches.stepwise()
    let shelled = try attaches.shelled()

    report("netns create", attaches.created)
    report("attachContainer", fused)
    report("attach, op by op", stepwise)
    if !shelled.isEmpty { report("attach via ip(8)", shelled) }
    let attach = median(fused)
    print("ratio: op-by-op / attachContainer = \(format(median(stepwise) / attach))x")
    if !shelled.isEmpty { print("ratio: ip(8) / attachContainer = \(format(median(shelled) / attach))x") }
    let pass = attach <= 5
    print("target: attachContainer median <= 5 ms: \(pass ? "PASS" : "FAIL") (\(format(attach)) ms)")
    return pass
}

var status: Int32 = 0
do {
    let options = try Options(BenchArguments(usage: usage, options: ["--count", "--reference", "--prefix", "--root"]))
    requireRoot("berth-netattach-bench", "network namespaces, bridges")
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
