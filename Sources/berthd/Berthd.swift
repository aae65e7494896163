import ArgumentParser
import BerthModel
import Builder
import DaemonAPI
import DaemonCore
import DaemonHTTP
import EmbeddedDNS
import Foundation
import HostOS
import Logging
import Registry
import RuntimeLinux
import ServiceLifecycle
import Supervisor

#if canImport(Glibc)
import Glibc
#endif

/// berthd: owns every container, network, volume and image under its
/// root, serves the CLI on a unix socket, hosts the embedded DNS and the
/// published ports, and supervises health and restarts. The only place
/// where the real runtime is chosen.
@main
struct Berthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "berthd", abstract: "The Berth daemon.")

    @Option(help: "Where all state lives (daemon.json: root; default /var/lib/berth).")
    var root: String?

    @Option(help: "The unix socket the CLI talks to (daemon.json: socket; default /run/berth/berth.sock).")
    var socket: String?

    @Option(
        name: .customLong("name-prefix"),
        help: "Host interfaces begin with this (berth…; 9 characters at most; daemon.json: name-prefix).")
    var namePrefix: String?

    @Option(
        name: .customLong("subnet-pool"),
        help: "CIDR/size networks are cut from, e.g. 172.30.0.0/16/24 (daemon.json: subnet-pool).")
    var subnetPool: String?

    @Option(name: .customLong("dns-port"), help: "Port of the embedded DNS on each gateway.")
    var dnsPort = Int(ProcessInfo.processInfo.environment["BERTH_DNS_PORT"] ?? "") ?? 53

    @Option(
        name: .customLong("resolv-conf"),
        help: "Where the host's resolvers are listed, for names the DNS does not know.")
    var resolvConf = ProcessInfo.processInfo.environment["BERTH_RESOLV_CONF"] ?? "/etc/resolv.conf"

    @Option(
        name: [.customLong("config"), .customLong("config-file")],
        help:
            "Docker-style daemon.json: root, socket, name-prefix, subnet-pool, registry-mirrors, insecure-registries, log-driver, log-opts, …"
    )
    var configFile = DaemonSettings.path()

    @Option(
        name: .customLong("request-timeout"),
        help: "Seconds a connection may take to send its whole request before it is closed.")
    var requestTimeout: Double = HTTPServer.defaultRequestTimeout

    @Option(
        name: .customLong("max-connections"), help: "Connections served at once; more are closed at once.")
    var maxConnections: Int = HTTPServer.defaultMaxConnections

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel = ProcessInfo.processInfo.environment["BERTH_LOG_LEVEL"] ?? "info"

    func validate() throws {
        guard requestTimeout > 0, requestTimeout.isFinite else {
            throw ValidationError("--request-timeout \(requestTimeout): seconds above 0")
        }
        guard maxConnections > 0 else { throw ValidationError("--max-connections \(maxConnections): at least 1") }
    }

    func run() async throws {
        // glibc gives each busy thread a malloc arena of its own; with NIO's,
        // the runtime's and the probes' threads that was ~15 arenas and
        // 55-65 MiB resident with 20 containers. Two keep it under 40.
        Memory.limitMallocArenas(2)
        var logger = Logger(label: "berthd")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        do {
            try await serve(logger: logger)
        } catch {
            logger.critical("berthd cannot run: \(error)")
            FileHandle.standardError.write(Data("berthd: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    func serve(logger: Logger) async throws {
        guard getuid() == 0 else {
            throw BerthError(.permission, "berthd must run as root (it makes network namespaces, bridges and mounts)")
        }
        let settings = try resolvedSettings()
        let root = settings.root
        // Before anything under the root is read or touched: a second berthd
        // on this root goes now, having changed nothing.
        let lock = try RootLock.acquire(root: root)
        try PrivateState.secure(root: root, logger: logger)
        let pools = settings.subnetPool.isEmpty ? AddressPool.defaults : [try Self.pool(settings.subnetPool)]
        let here = Self.executableDirectory()
        var configuration = LinuxRuntime.Configuration(root: root, shimPath: here + "/berth-shim")
        configuration.namePrefix = settings.namePrefix
        configuration.tableName = settings.namePrefix
        configuration.pools = pools
        configuration.cgroupParent = "/" + settings.namePrefix
        configuration.registrySettings = try RegistrySettings.load(path: configFile)
        configuration.defaultLogging = try DaemonLogging.load(path: configFile)
        let runtime = try await LinuxRuntime(configuration)
        let upstreams = (try? ResolvConf.upstreams(path: resolvConf)) ?? []
        let names = NameService(runtime: runtime, upstreams: upstreams, port: dnsPort, logger: logger)
        try await names.start()
        let supervisor = SupervisorService(runtime: runtime)
        let socket = settings.socket
        let info = DaemonInfo(version: "0.1.0", pid: getpid(), root: root, socket: socket)
        let builder = try ImageBuilder(backend: try runtime.buildBackend(), cacheDirectory: root + "/build")
        let service = DaemonService(
            runtime: runtime, supervisor: supervisor, names: names, root: root, info: info, logger: logger,
            builder: builder)
        await service.restore()
        let table = DaemonRoutes.table(service)
        let limits = HTTPServer.Limits(
            requestTimeout: .milliseconds(Int64(requestTimeout * 1000)), maxConnections: maxConnections)
        let server = try await HTTPServer.start(
            socketPath: socket, routes: table.handlers, sessions: table.sessions, logger: logger, limits: limits)
        logger.info("berthd \(info.version) listening on \(socket), root \(root)")
        do {
            try await Self.runUntilSignalled(
                names: names, supervisor: supervisor, service: service, server: server, logger: logger)
        } catch {
            await runtime.shutdown()
            throw error
        }
        await runtime.shutdown()
        withExtendedLifetime(lock) {}
        logger.info("berthd stopped")
    }

    /// What this berthd runs with, each setting from its flag, else its
    /// environment variable, else daemon.json, else the default.
    func resolvedSettings() throws(BerthError) -> (root: String, socket: String, namePrefix: String, subnetPool: String)
    {
        let file = try DaemonSettings.load(path: configFile)
        let environment = ProcessInfo.processInfo.environment
        func pick(_ flag: String?, _ variable: String?, _ key: String?, _ fallback: String) -> String {
            flag ?? environment[variable ?? ""].flatMap { $0.isEmpty ? nil : $0 } ?? key ?? fallback
        }
        return (
            root: pick(root, "BERTH_ROOT", file.root, DaemonSettings.defaultRoot),
            socket: pick(socket, nil, file.socket, DaemonSettings.defaultSocket),
            namePrefix: pick(namePrefix, "BERTH_NAME_PREFIX", file.namePrefix, "berth"),
            subnetPool: pick(subnetPool, "BERTH_SUBNET_POOL", file.subnetPool, "")
        )
    }

    /// Runs the long-lived parts, each started above in the order they need,
    /// until SIGTERM or SIGINT; then shuts them down gracefully, in the
    /// reverse order: the server stops accepting (and ends the requests it
    /// has), the service saves the supervisor's state, the supervisor stops
    /// its probes and restarts, the names stop answering. Containers keep
    /// running.
    static func runUntilSignalled(
        names: NameService, supervisor: SupervisorService, service: DaemonService, server: HTTPServer, logger: Logger
    ) async throws {
        let supervision = ClosureService {
            try? await gracefulShutdown()
            await supervisor.shutdown()
        }
        let notice = ClosureService {
            try? await gracefulShutdown()
            logger.info("shutting down; containers keep running")
        }
        let configuration = ServiceGroupConfiguration(
            services: [
                .init(service: names, serviceName: "names"), .init(service: supervision, serviceName: "supervisor"),
                .init(service: service, serviceName: "service"), .init(service: server, serviceName: "server"),
                .init(service: notice, serviceName: "notice"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await ServiceGroup(configuration: configuration).run()
    }

    /// `172.30.0.0/16/24` → the /16 cut into /24s; `10.99.0.0/16` alone means /24s.
    static func pool(_ text: String) throws -> AddressPool {
        let parts = text.split(separator: "/")
        guard parts.count == 2 || parts.count == 3, let base = IPv4CIDR("\(parts[0])/\(parts[1])") else {
            throw BerthError(.usage, "--subnet-pool \(text): expected ADDRESS/PREFIX[/SIZE], like 172.30.0.0/16/24")
        }
        let size = parts.count == 3 ? UInt8(parts[2]) : 24
        guard let size else { throw BerthError(.usage, "--subnet-pool \(text): the block size is not a number") }
        return try AddressPool(base: base, size: size)
    }

    static func executableDirectory() -> String {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }
}
