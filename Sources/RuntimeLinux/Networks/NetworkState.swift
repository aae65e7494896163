import BerthModel
import Foundation
import Glibc
import HostOS

/// The networks file, `<state>/networks.json`: every network with its
/// addressing and endpoints, so a restarted berthd knows which addresses
/// are taken and which bridges and veths are its own.
///
/// The file is the truth for IPAM; the kernel's links are what it describes.
/// It is rewritten whole after each change, atomically (see `AtomicFile`),
/// so a crash leaves either the old or the new state, never half of one.
struct NetworkStateFile: Sendable {
    /// The file's path.
    let path: String

    /// The networks recorded, none when the file does not exist yet.
    func load() throws(BerthError) -> [BridgeNetwork] {
        let bytes: [UInt8]
        do throws(FileFailure) {
            guard let read = try AtomicFile.read(path) else { return [] }
            bytes = read
        } catch {
            throw BerthError(.state, "cannot read the network state \(path)", cause: error.message)
        }
        do {
            let stored = try JSONDecoder().decode(StoredState.self, from: Data(bytes))
            return try stored.networks.map { try $0.network() }
        } catch let error as BerthError {
            throw BerthError(.state, "invalid network state \(path)", cause: error.description)
        } catch {
            throw BerthError(.state, "invalid network state \(path)", cause: "\(error)")
        }
    }

    /// Replaces the file with `networks`.
    func save(_ networks: [BridgeNetwork]) throws(BerthError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let stored = StoredState(version: 1, networks: networks.sorted { $0.name < $1.name }.map(StoredNetwork.init))
        do {
            let data = try encoder.encode(stored)
            try AtomicFile.write(Array(data), to: path)
        } catch let error as FileFailure {
            throw BerthError(.state, "cannot save the network state \(path)", cause: error.message)
        } catch {
            throw BerthError(.state, "cannot save the network state \(path)", cause: "\(error)")
        }
    }
}

/// The file's shape. Addresses are strings (`10.213.1.0/24`), readable by
/// a person debugging and parsed strictly on the way back in.
private struct StoredState: Codable {
    var version: Int
    var networks: [StoredNetwork]
}

private struct StoredNetwork: Codable {
    var name: NetworkName
    var bridge: String
    var subnet: String
    var gateway: String
    var ipRange: String?
    var `internal`: Bool
    var labels: [String: String]
    var endpoints: [StoredEndpoint]

    init(_ network: BridgeNetwork) {
        name = network.name
        bridge = network.bridge.rawValue
        subnet = network.subnet.description
        gateway = network.gateway.description
        ipRange = network.ipRange?.description
        `internal` = network.isInternal
        labels = network.labels
        endpoints = network.endpoints.map(StoredEndpoint.init)
    }

    func network() throws -> BridgeNetwork {
        guard let gatewayAddress = IPv4Address(gateway) else {
            throw BerthError(.state, "network \"\(name)\": invalid gateway \"\(gateway)\"")
        }
        return BridgeNetwork(
            name: name, bridge: try InterfaceName(parsing: bridge), subnet: try IPv4CIDR(parsing: subnet),
            gateway: gatewayAddress, ipRange: try ipRange.map { try IPv4CIDR(parsing: $0) }, isInternal: `internal`,
            labels: labels, endpoints: try endpoints.map { try $0.endpoint() })
    }
}

private struct StoredEndpoint: Codable {
    var container: String
    var netnsPath: String
    var interface: String
    var address: String
    var hostVeth: String
    var defaultRoute: Bool

    init(_ endpoint: NetworkEndpoint) {
        container = endpoint.container
        netnsPath = endpoint.netnsPath
        interface = endpoint.interface.rawValue
        address = endpoint.address.description
        hostVeth = endpoint.hostVeth.rawValue
        defaultRoute = endpoint.hasDefaultRoute
    }

    func endpoint() throws -> NetworkEndpoint {
        NetworkEndpoint(
            container: container, netnsPath: netnsPath, interface: try InterfaceName(parsing: interface),
            address: try IPv4CIDR(parsing: address), hostVeth: try InterfaceName(parsing: hostVeth),
            hasDefaultRoute: defaultRoute)
    }
}

/// A file operation that failed: what, on which path, and errno's text.
struct FileFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Whole-file reads and crash-safe replacement, for the small JSON files of
/// the networks and volumes.
enum AtomicFile {
    /// The file's bytes, or nil when it does not exist.
    static func read(_ path: String) throws(FileFailure) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let failure = errno
            if failure == ENOENT { return nil }
            throw FileFailure(message: "open \(path): \(HostOSError.describe(errno: failure))")
        }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = Syscall.retrying { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if count < 0 { throw FileFailure(message: "read \(path): \(HostOSError.describe(errno: errno))") }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Replaces `path` with `bytes`: a temporary file beside it, written and
    /// renamed over it. rename(2) is atomic, so readers and a killed berthd
    /// see the old file or the new one. There is no fsync: these files
    /// describe containers, veths and namespaces that a power cut takes away
    /// anyway, and the two fsyncs per write were a third of `down` (48 of
    /// them, 374 ms, for 20 containers).
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(FileFailure) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw FileFailure(message: "create \(temporary): \(HostOSError.describe(errno: errno))") }
        var offset = 0
        while offset < bytes.count {
            let written = Syscall.retrying {
                bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            }
            if written < 0 {
                let failure = errno
                Glibc.close(fd)
                unlink(temporary)
                throw FileFailure(message: "write \(temporary): \(HostOSError.describe(errno: failure))")
            }
            offset += written
        }
        Glibc.close(fd)
        if rename(temporary, path) != 0 {
            let failure = errno
            unlink(temporary)
            throw FileFailure(message: "replace \(path): \(HostOSError.describe(errno: failure))")
        }
    }
}
