// swift-tools-version:6.0
import PackageDescription

// The target table and its arrows are in ../shared/DESIGN.md. Build with
// `--explicit-target-dependency-import-check error` (the Makefile does) so
// SwiftPM refuses an import that the table does not allow.
let package = Package(
    name: "Berth",
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berthd", targets: ["berthd"]),
        // For the Benchmarks package (Benchmarks/Package.swift) alone: its
        // executables measure these modules from outside, so `make build`
        // never compiles them. The parts of RuntimeLinux they drive directly,
        // beneath LinuxRuntime (ContainerDriver, BridgeNetworks, PortProxy),
        // are `@_spi(Components)`: berthd's plain `import RuntimeLinux` does
        // not see them; the benches and the tests that use them ask for them.
        .library(name: "HostOS", targets: ["HostOS"]),
        .library(name: "RuntimeLinux", targets: ["RuntimeLinux"]),
        .library(name: "EmbeddedDNS", targets: ["EmbeddedDNS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // Layers come gzip- or zstd-compressed; both are inflated in-process, as the bytes arrive.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "BerthModel"),
        // `berth kube generate`: the loaded project as Kubernetes manifests. It reads the model only.
        .target(name: "BerthKube", dependencies: ["BerthModel"]),
        // The one async keyed lock (FIFO, cancellable); no dependencies, so any target may use it.
        .target(name: "AsyncKeyedLock"),
        .target(
            name: "ComposeLoader",
            dependencies: [
                "BerthModel",
                "CYAML",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "berth",
            dependencies: [
                "ComposeLoader",
                "BerthModel",
                "BerthKube",
                "DaemonAPI",
                "DaemonClient",
                // The terminal's window size (ioctl) for `exec`, `run -it` and `attach`.
                "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // C declarations of the few Linux calls Glibc's module map hides, and the rtnetlink headers.
        .target(name: "CLinux"),
        .target(name: "HostOS", dependencies: ["BerthModel", "CLinux"]),
        // An OCI distribution client: image references, registry auth, manifests, streamed
        // and verified blobs, push, docker's credential and registry settings.
        .target(
            name: "Registry",
            dependencies: [
                "BerthModel", "HostOS", "CZlib", "CZstd",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The real runtime: image store, containers on crun, networks, volumes.
        .target(
            name: "RuntimeLinux",
            dependencies: [
                // Its errors are the product's one error type.
                "BerthModel",
                // Image references and digests; later, pulls.
                "Registry",
                // LinuxRuntime implements the protocol the reconciler drives.
                "RuntimeKit",
                // LinuxBuildBackend is the host half of image builds.
                "Builder",
                "HostOS",
                "AsyncKeyedLock",
                // Descriptor passing and window sizes for terminals.
                "CLinux",
                // Rotated logs the shim gzipped (`compress`).
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // One per container, in C to stay small. SwiftPM links even a C
        // executable against the Swift runtime; linked statically it stays
        // at ~1.2 MiB resident instead of ~1.9 MiB with libswiftCore.so.
        // zlib (static, from zlib1g-dev) gzips rotated logs for `compress`.
        .executableTarget(
            name: "berth-shim", dependencies: ["CZlib"], linkerSettings: [.unsafeFlags(["-static-executable"])]),
        // The DNS wire codec and the NIO server that answers on each network's gateway.
        .target(
            name: "EmbeddedDNS",
            dependencies: [
                "BerthModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Protocols the reconciler and supervisor drive; no Linux in here.
        .target(name: "RuntimeKit", dependencies: ["BerthModel"]),
        // Observe → plan (pure, printable) → execute, level by level.
        .target(name: "Reconciler", dependencies: ["BerthModel", "RuntimeKit"]),
        // Images from Dockerfiles, the pure half: the Dockerfile front end, the build
        // context and .dockerignore, the stage graph, cache keys and the image config.
        // Reading the context is its only contact with the host; executing steps is
        // the caller's.
        .target(
            name: "Builder",
            dependencies: ["BerthModel", "RuntimeKit", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Health probes and restart policies: pure machines plus the actor that drives them.
        .target(name: "Supervisor", dependencies: ["BerthModel", "RuntimeKit"]),
        // berthd's socket: each route declared once, as an endpoint with its
        // request and response types, for the daemon and the client; the wire's JSON.
        .target(name: "DaemonAPI", dependencies: ["BerthModel"]),
        // The daemon's core, with no transport in it: the service actor behind
        // the routes, the project store, the name service (the embedded DNS
        // fed from the runtime), readiness, and the runtime decorators that
        // report progress and keep the supervisor in step.
        .target(
            name: "DaemonCore",
            dependencies: [
                "DaemonAPI", "BerthModel", "Reconciler", "Supervisor", "EmbeddedDNS", "RuntimeKit", "AsyncKeyedLock",
                // The project store is files on the host: HostOS's `Files` and `AtomicFile`.
                "HostOS",
                // The name service listens at socket addresses.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The service and the name service run as berthd's services.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // HTTP/1.1 over the unix socket: the server, one handler per
        // connection, the routes over DaemonCore's service, the response
        // writer, the status of each error code, the socket file.
        .target(
            name: "DaemonHTTP",
            dependencies: [
                "DaemonCore", "DaemonAPI", "BerthModel",
                // The socket file: HostOS's `Files` and errno's text.
                "HostOS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The server runs as one of berthd's services.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The CLI's side of the socket.
        .target(
            name: "DaemonClient",
            dependencies: [
                "DaemonAPI", "BerthModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The daemon's main: the only place RuntimeLinux is chosen.
        .executableTarget(
            name: "berthd",
            dependencies: [
                "DaemonCore", "DaemonHTTP", "DaemonAPI", "RuntimeLinux", "RuntimeKit", "EmbeddedDNS", "Supervisor",
                "Reconciler", "HostOS", "BerthModel", "Builder",
                // Its registry settings (daemon.json's registry keys) for the runtime's pulls.
                "Registry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // Its long-lived parts run in a ServiceGroup, shut down gracefully on SIGTERM and SIGINT.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What the test targets share, and only they use: scratch
        // directories, the `requiresRoot` trait, the host leak checks,
        // FakeRuntime (for tests that need no root) and FakeClock.
        .target(name: "TestSupport", dependencies: ["RuntimeKit", "BerthModel", "Supervisor", "HostOS"]),
        .testTarget(name: "BerthModelTests", dependencies: ["BerthModel"]),
        // Manifests compared as text, and every example and corpus file validated
        // against the Kubernetes API's types by the official Python client (Validator/).
        .testTarget(
            name: "BerthKubeTests", dependencies: ["BerthKube", "ComposeLoader", "BerthModel"], exclude: ["Validator"]),
        // Unit tests, and end-to-end tests against registries they start on
        // 127.0.0.1 (Fixtures: the token server and the fault proxy, in python3).
        .testTarget(
            name: "RegistryTests",
            dependencies: ["Registry", "BerthModel", "HostOS", "TestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "AsyncKeyedLockTests", dependencies: ["AsyncKeyedLock"]),
        .testTarget(
            name: "EmbeddedDNSTests",
            dependencies: [
                "EmbeddedDNS",
                "BerthModel",
                "CLinux",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "BuilderTests", dependencies: ["Builder", "BerthModel", "TestSupport"]),
        .testTarget(name: "ReconcilerTests", dependencies: ["Reconciler", "TestSupport", "RuntimeKit", "BerthModel"]),
        .testTarget(name: "SupervisorTests", dependencies: ["Supervisor", "TestSupport", "RuntimeKit", "BerthModel"]),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport", "RuntimeKit", "BerthModel", "HostOS"]),
        // Depends on berth-shim so that `swift test` builds it first.
        .testTarget(
            name: "RuntimeLinuxTests",
            dependencies: [
                "RuntimeLinux", "RuntimeKit", "berth-shim", "HostOS", "BerthModel", "TestSupport", "Registry",
                "Builder", "CLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Root-only system tests skip themselves for other users; the codec
        // tests spell kernel replies with CLinux's structs.
        .testTarget(name: "HostOSTests", dependencies: ["HostOS", "CLinux", "TestSupport"]),
        .testTarget(
            name: "ComposeLoaderTests",
            dependencies: ["ComposeLoader", "BerthModel", "TestSupport"]
        ),
        // Runs the built `berth` binary as a user would; depending on the
        // executable makes `swift test` build it first.
        .testTarget(name: "BerthCLITests", dependencies: ["berth", "TestSupport"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "DaemonCore", "DaemonHTTP", "DaemonClient", "DaemonAPI", "TestSupport", "RuntimeKit", "BerthModel",
                "ComposeLoader", "Supervisor", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Whole stacks as root: berth and berthd binaries, real clients.
        .testTarget(
            name: "SystemTests", dependencies: ["berth", "berthd", "berth-shim", "HostOS", "CLinux", "TestSupport"]),
    ]
)
