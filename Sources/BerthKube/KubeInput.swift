import BerthModel

#if canImport(Glibc)
import Glibc
#endif

/// What `berth kube generate` converts: the loaded project, plus what the
/// typed model does not keep and the conversion needs.
public struct KubeInput: Sendable {
    public var project: Project
    /// Per service, every attribute its compose file sets, as dotted paths
    /// (`ports`, `deploy.resources.limits.cpus`): the ones without a
    /// Kubernetes meaning are warned about, so nothing is dropped silently.
    public var attributes: [String: Set<String>]
    /// Per service, the scalars under `x-berth.kube` (`kind`).
    public var serviceSettings: [String: [String: String]]
    /// Per top-level volume key, the scalars under `x-berth.kube` (`size`, `storage_class`, `access_mode`).
    public var volumeSettings: [String: [String: String]]
    /// Per service, `deploy.resources.reservations.cpus` (the model keeps only the memory reservation).
    public var cpuReservations: [String: Double] = [:]
    /// The environment that `environment:` secrets and configs read.
    public var environment: [String: String]
    /// The content of a secret's or config's file; nil when it cannot be read.
    public var readFile: @Sendable (String) -> [UInt8]?

    public init(
        project: Project, attributes: [String: Set<String>] = [:], serviceSettings: [String: [String: String]] = [:],
        volumeSettings: [String: [String: String]] = [:], environment: [String: String] = [:],
        readFile: @escaping @Sendable (String) -> [UInt8]? = KubeInput.readWholeFile
    ) {
        self.project = project
        self.attributes = attributes
        self.serviceSettings = serviceSettings
        self.volumeSettings = volumeSettings
        self.environment = environment
        self.readFile = readFile
    }

    /// The file's bytes, or nil when it cannot be opened or read (64 MiB at most:
    /// a Secret or ConfigMap holds 1 MiB).
    public static func readWholeFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 64 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}

/// The command line's choices.
public struct KubeOptions: Sendable {
    /// How published ports are offered outside the cluster.
    public enum PublishAs: String, Sendable, CaseIterable {
        case nodePort = "NodePort"
        case loadBalancer = "LoadBalancer"
    }

    /// Set on every object when given.
    public var namespace: String?
    /// Services with named volumes and one replica become StatefulSets.
    public var stateful = false
    /// nil: published ports get no Service of their own (a WARN says so).
    public var publishAs: PublishAs?
    /// Bind mounts become hostPath volumes instead of a WARN.
    public var allowHostPath = false
    /// The image of the init containers that wait for a dependency's port.
    public var waitImage = "busybox:1.36"
    /// The image of the init containers that wait for a Job (`kubectl wait`).
    public var kubectlImage = "bitnami/kubectl:1.30"
    /// A service with more variables than this gets them from a ConfigMap.
    public var environmentLimit = 32
    /// A PersistentVolumeClaim's size when neither `x-berth.kube.size` nor a label names one.
    public var defaultVolumeSize = "1Gi"

    public init() {}
}

/// The generated objects, in print order, and the WARN lines (without the `WARN: ` prefix).
public struct KubeOutput: Sendable {
    public var objects: [KubeObject]
    public var warnings: [String]
}
