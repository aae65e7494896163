// What of the host a service's containers get beyond the common settings:
// host devices (`devices:`), block I/O limits (`blkio_config`) and the
// lifecycle hooks run in them (`post_start`, `pre_stop`).

/// One `devices:` entry: a host device given to the container.
public struct DeviceMapping: Sendable, Hashable, Codable {
    /// The host path (`/dev/ttyUSB0`).
    public var source: String
    /// The path in the container; the source's when not given.
    public var target: String
    /// The device cgroup access: some of `r`, `w`, `m`.
    public var permissions: String

    public init(source: String, target: String? = nil, permissions: String = "rwm") {
        self.source = source
        self.target = target ?? source
        self.permissions = permissions
    }

    /// `HOST[:CONTAINER[:PERMISSIONS]]`, as docker reads it: a last part of
    /// only r, w and m is the permissions. nil for an empty entry.
    public init?(parsing text: String) {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var permissions = "rwm"
        if parts.count > 1, let last = parts.last, !last.isEmpty, last.allSatisfy({ "rwm".contains($0) }) {
            permissions = last
            parts.removeLast()
        }
        guard let source = parts.first, !source.isEmpty, parts.count <= 2 else { return nil }
        self.init(
            source: source, target: parts.count == 2 && !parts[1].isEmpty ? parts[1] : nil, permissions: permissions)
    }
}

/// A `post_start` or `pre_stop` hook: a command run in the container.
public struct ServiceHook: Sendable, Hashable, Codable {
    public var command: [String]
    public var user: String?
    public var workingDir: String?
    public var environment: [String: String]
    /// Asked for with `privileged: true`; Berth runs it as any exec (`up` notes it).
    public var privileged: Bool

    public init(
        command: [String], user: String? = nil, workingDir: String? = nil, environment: [String: String] = [:],
        privileged: Bool = false
    ) {
        self.command = command
        self.user = user
        self.workingDir = workingDir
        self.environment = environment
        self.privileged = privileged
    }
}

/// `blkio_config`: block I/O weight and per-device limits.
public struct BlkioConfig: Sendable, Hashable, Codable {
    /// A device by its host path, with a weight or a rate.
    public struct Device: Sendable, Hashable, Codable {
        public var path: String
        public var value: Int64

        public init(path: String, value: Int64) {
            self.path = path
            self.value = value
        }
    }

    /// 10-1000; nil: the kernel's default.
    public var weight: Int?
    public var weightDevice: [Device]
    /// Bytes per second.
    public var readBps: [Device]
    public var writeBps: [Device]
    /// Operations per second.
    public var readIops: [Device]
    public var writeIops: [Device]

    public init(
        weight: Int? = nil, weightDevice: [Device] = [], readBps: [Device] = [], writeBps: [Device] = [],
        readIops: [Device] = [], writeIops: [Device] = []
    ) {
        self.weight = weight
        self.weightDevice = weightDevice
        self.readBps = readBps
        self.writeBps = writeBps
        self.readIops = readIops
        self.writeIops = writeIops
    }
}
