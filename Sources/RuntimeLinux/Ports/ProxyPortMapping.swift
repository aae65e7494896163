import BerthModel
import HostOS

/// The transport of a published port.
public enum PortProtocol: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Stream: each accepted connection is spliced to one to the container.
    case tcp
    /// Datagrams: each client address gets its own flow to the container.
    case udp

    /// `tcp` or `udp`, as compose writes it.
    public var description: String { rawValue }
}

/// One published port as the proxy needs it: where to listen on the host
/// and where to send to in the container (BerthModel's `PortMapping` is the
/// compose `ports:` entry it comes from).
///
/// A container's address on a Berth network is IPv4. A host address of nil
/// listens on 0.0.0.0 and, as docker does, on `[::]` too (`PortProxy`).
public struct ProxyPortMapping: Hashable, Sendable, CustomStringConvertible {
    /// The host address to listen on; nil is every address (0.0.0.0).
    public var hostIP: IPv4?
    /// The host port; nil or 0 lets the kernel pick a free one, which
    /// `PublishedPort.hostPort` reports.
    public var hostPort: UInt16?
    /// TCP or UDP.
    public var `protocol`: PortProtocol
    /// The container's address on its network.
    public var targetIP: IPv4
    /// The port inside the container.
    public var targetPort: UInt16

    /// A mapping.
    public init(
        hostIP: IPv4? = nil, hostPort: UInt16?, protocol: PortProtocol = .tcp, targetIP: IPv4,
        targetPort: UInt16
    ) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.protocol = `protocol`
        self.targetIP = targetIP
        self.targetPort = targetPort
    }

    /// The address the proxy binds, as text: `0.0.0.0` for every address.
    public var listenAddress: String { hostIP?.description ?? "0.0.0.0" }

    /// `0.0.0.0:8080->10.213.1.2:80/tcp`, docker's `ps` notation.
    public var description: String {
        "\(listenAddress):\(hostPort ?? 0)->\(targetIP):\(targetPort)/\(`protocol`)"
    }

    /// One mapping per port of a range (`8000-8002:80-82`): the host range
    /// and the target range pair up in order and must be the same length.
    public static func range(
        hostIP: IPv4? = nil, hostPorts: ClosedRange<UInt16>, protocol: PortProtocol = .tcp,
        targetIP: IPv4, targetPorts: ClosedRange<UInt16>
    ) throws(BerthError) -> [ProxyPortMapping] {
        guard hostPorts.count == targetPorts.count else {
            throw BerthError(
                .invalidArgument,
                "port range \(hostPorts.lowerBound)-\(hostPorts.upperBound):\(targetPorts.lowerBound)-\(targetPorts.upperBound)/\(`protocol`): the host range has \(hostPorts.count) ports, the container range \(targetPorts.count)"
            )
        }
        return zip(hostPorts, targetPorts).map { host, target in
            ProxyPortMapping(
                hostIP: hostIP, hostPort: host, protocol: `protocol`, targetIP: targetIP, targetPort: target)
        }
    }
}

/// A port the proxy listens on; hand it back to `PortProxy.unpublish`.
public struct PublishedPort: Hashable, Sendable, CustomStringConvertible {
    /// Distinguishes publications of the same mapping over time.
    public let id: UInt64
    /// The mapping as it was asked for (`hostPort` nil or 0 for ephemeral).
    public let mapping: ProxyPortMapping
    /// The port actually bound: the asked one, or the kernel's pick.
    public let hostPort: UInt16

    /// A handle.
    public init(id: UInt64, mapping: ProxyPortMapping, hostPort: UInt16) {
        self.id = id
        self.mapping = mapping
        self.hostPort = hostPort
    }

    /// `127.0.0.1:39211->10.213.1.2:80/tcp`.
    public var description: String {
        "\(mapping.listenAddress):\(hostPort)->\(mapping.targetIP):\(mapping.targetPort)/\(mapping.protocol)"
    }
}
