/// The limits of what Berth can make on the host, and the checks of a
/// whole `Project` against them: the loader makes projects that pass, and
/// berthd checks every project (and every name, port, count and variable)
/// it is sent with the same functions, since a client other than `berth`
/// can send anything.
extension Service {
    /// Replicas (`scale`, `deploy.replicas`, `--scale`) one service may
    /// have: each is a container, a veth and a shim; beyond a thousand a
    /// typo, not a plan.
    public static let replicaRange = 0...1000
}

extension ResourceName {
    /// A container name is crun's id and a directory name; crun takes 128 bytes.
    public static let maxContainerBytes = 128
    /// A network's name goes into an nftables comment (`internal network
    /// <name>`), which nft caps at 128 bytes.
    public static let maxNetworkBytes = 110
}

extension Project {
    /// Throws the first thing of the project Berth could not make: a bad
    /// or too long name (the project's, a service's, network's, volume's,
    /// or a container name they make), a port out of 1-65535, a replica
    /// count out of `Service.replicaRange`, an environment variable that
    /// cannot be one.
    public func validate() throws(BerthError) {
        try ProjectName.check(name.rawValue)
        for (key, service) in services.sorted(by: { $0.key < $1.key }) {
            try Self.checkName(key, kind: "service")
            guard service.name == key else {
                throw BerthError(.invalidSpec, "service \"\(key)\" is named \"\(service.name)\" inside")
            }
            try service.validate(project: name.rawValue)
        }
        for (key, network) in networks.sorted(by: { $0.key < $1.key }) {
            try Self.checkName(key, kind: "network")
            try Self.checkName(network.name, kind: "network", maxBytes: ResourceName.maxNetworkBytes)
        }
        for (key, volume) in volumes.sorted(by: { $0.key < $1.key }) {
            try Self.checkName(key, kind: "volume")
            try Self.checkName(volume.name, kind: "volume")
        }
    }

    /// A name of `kind` (`service`, `volume`, …) by `ResourceName`'s grammar and length.
    public static func checkName(_ name: String, kind: String, maxBytes: Int = ResourceName.maxBytes)
        throws(BerthError)
    {
        switch ResourceName.problem(name, maxBytes: maxBytes) {
        case nil:
            return
        case .empty:
            throw BerthError(.invalidName, "a \(kind) name is empty")
        case .characters:
            throw BerthError(
                .invalidName,
                "\"\(name)\" is not a valid \(kind) name: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit"
            )
        case .tooLong(let bytes):
            throw BerthError(
                .invalidName, "\(kind) name \"\(name.prefix(40))…\" is too long: \(bytes) bytes, at most \(maxBytes)")
        }
    }

    /// `scale` of a request (`--scale web=3`): known services' names, counts in range.
    public static func checkScale(_ scale: [String: Int]) throws(BerthError) {
        for (service, count) in scale.sorted(by: { $0.key < $1.key }) {
            try checkName(service, kind: "service")
            try Service.checkReplicas(count, service: service)
        }
    }

    /// Environment variables as a process gets them: a name neither empty
    /// nor holding `=` or NUL, a value without NUL (the kernel's strings
    /// end there, so the rest would be cut off without a word).
    public static func checkEnvironment(_ variables: [String: String?], owner: String) throws(BerthError) {
        for (key, value) in variables.sorted(by: { $0.key < $1.key }) {
            guard !key.isEmpty, !key.contains("="), !key.utf8.contains(0) else {
                throw BerthError(
                    .invalidArgument,
                    "\(owner): \"\(key)\" is not an environment variable name (empty, or holding \"=\" or NUL)")
            }
            if let value, value.utf8.contains(0) {
                throw BerthError(.invalidArgument, "\(owner): the value of \(key) holds a NUL byte")
            }
        }
    }
}

extension Service {
    /// This service's checks, in project `project`.
    func validate(project: String) throws(BerthError) {
        try Service.checkReplicas(replicas, service: name)
        // The longest container name it makes: <project>-<service>-<index>.
        let container = containerName ?? "\(project)-\(name)-\(max(replicas, 1))"
        try Project.checkName(container, kind: "container", maxBytes: ResourceName.maxContainerBytes)
        for port in ports { try port.validate(service: name) }
        try Project.checkEnvironment(environment, owner: "service \(name)")
    }

    /// A replica count in `replicaRange`.
    public static func checkReplicas(_ count: Int, service: String) throws(BerthError) {
        guard replicaRange.contains(count) else {
            throw BerthError(
                .invalidArgument,
                "service \(service): \(count) replicas is out of range (\(replicaRange.lowerBound)-\(replicaRange.upperBound))"
            )
        }
    }
}

extension PortMapping {
    /// The container's port in 1-65535; the published one a port or range in
    /// 0-65535 (0 or none: any free port), as the loader reads them.
    func validate(service: String) throws(BerthError) {
        guard (1...65535).contains(target) else {
            throw BerthError(.invalidArgument, "service \(service): port \(target) is out of range (1-65535)")
        }
        guard let published, !published.isEmpty else { return }
        let bounds = published.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0.map { (0...65535).contains($0) } ?? false }),
            (bounds.first ?? 0) ?? 0 <= (bounds.last ?? 0) ?? 0
        else {
            throw BerthError(
                .invalidArgument,
                "service \(service): published port \"\(published)\" is not a port or range in 0-65535")
        }
    }
}

extension ProjectName {
    /// The longest project name: it begins every container name, and a
    /// network's name is `<project>_<network>` in an nft comment.
    public static let maxBytes = 63

    /// Throws when `text` is not a project name, saying why.
    public static func check(_ text: String) throws(BerthError) {
        guard ProjectName(text) != nil else {
            throw BerthError(
                .invalidName,
                "invalid project name \"\(text.prefix(80))\": use lowercase letters, digits, \"-\" and \"_\", starting with a letter or digit, at most \(maxBytes) bytes"
            )
        }
    }
}
