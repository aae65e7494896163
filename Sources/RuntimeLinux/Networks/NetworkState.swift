import BerthModel
import Foundation
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
        do throws(HostOSError) {
            guard let read = try AtomicFile.read(path) else { return [] }
            bytes = read
        } catch {
            throw BerthError(.state, "cannot read the network state \(path)", wrapping: error)
        }
        do {
            let stored = try JSONDecoder().decode(StoredState.self, from: Data(bytes))
            return try stored.networks.map { try $0.network() }
        } catch let error as BerthError {
            throw BerthError(.state, "invalid network state \(path)", cause: error.description)
        } catch {
            throw BerthError(.state, "invalid network state \(path)", cause: BerthError.describe(error))
        }
    }

    /// Replaces the file with `networks`.
    func save(_ networks: [BridgeNetwork]) throws(BerthError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let stored = StoredState(version: 1, networks: networks.sorted { $0.name < $1.name }.map(StoredNetwork.init))
        do {
            let data = try encoder.encode(stored)
            try AtomicFile.write(Array(data), to: path, mode: 0o600)
        } catch {
            throw BerthError(.state, "cannot save the network state \(path)", wrapping: error)
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
        guard let gatewayAddress = IPv4(gateway) else {
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
