// swift-tools-version:6.0
import PackageDescription

// The benchmarks, a package of their own as swift-nio's are: `make build`
// never compiles them, and they see Berth's modules only as the root
// package's library products show them. scripts/bench/*.sh build and run
// them (`make bench` runs every script); each executable's `--help` says
// what it measures.
let package = Package(
    name: "BerthBenchmarks",
    dependencies: [
        .package(name: "Berth", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // What the benches share: their command lines, statistics, the root check.
        .target(name: "BenchSupport"),
        // The embedded DNS server alone, for scripts/bench/dns.sh.
        .executableTarget(
            name: "berth-dns-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "EmbeddedDNS", package: "Berth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Plugging a container into a bridge, for scripts/bench/netattach.sh.
        .executableTarget(
            name: "berth-netattach-bench",
            dependencies: ["BenchSupport", .product(name: "HostOS", package: "Berth")]
        ),
        // Published-port throughput through the proxy against a direct
        // connection, for scripts/bench/port-proxy.sh.
        .executableTarget(
            name: "berth-proxy-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "RuntimeLinux", package: "Berth"),
                .product(name: "HostOS", package: "Berth"),
            ]
        ),
        // ContainerDriver against a bare `crun run`, for scripts/bench/crun-true.sh.
        .executableTarget(
            name: "berth-run-bench",
            dependencies: ["BenchSupport", .product(name: "RuntimeLinux", package: "Berth")]
        ),
    ]
)
