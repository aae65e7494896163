import BerthModel

/// A request berthd checks before it acts on it, and `berth` before it
/// sends it: both ends call the same `validate`, built on BerthModel's
/// rules (`Project.validate`, `ProjectName.check`, …), so a name, port,
/// count or variable Berth cannot make is refused with a `BerthError`
/// (status 400) before anything is written.
public protocol ValidatedRequest {
    /// Throws the first thing of the request Berth cannot make.
    func validate() throws(BerthError)
}

/// `--index`: replicas count from 1.
private func checkIndex(_ index: Int) throws(BerthError) {
    guard index >= 1 else { throw BerthError(.invalidArgument, "--index \(index): replicas count from 1") }
}

/// Services named by a request: each by the grammar.
private func checkServices(_ services: [String]) throws(BerthError) {
    for service in services { try Project.checkName(service, kind: "service") }
}

extension UpRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try project.validate()
        try checkServices(services)
        try Project.checkScale(scale)
    }
}

extension RunRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try project.validate()
        try Project.checkName(service, kind: "service")
        try Project.checkEnvironment(environment.mapValues { $0 }, owner: "run \(service)")
        if let name { try Project.checkName(name, kind: "container", maxBytes: ResourceName.maxContainerBytes) }
    }
}

extension DownRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try project?.validate()
    }
}

extension ContainerActionRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try checkServices(services)
    }
}

extension PsRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try checkServices(services)
    }
}

extension LogsRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try checkServices(services)
        if let tail, tail < 0 { throw BerthError(.invalidArgument, "--tail \(tail): a count of lines is not negative") }
    }
}

extension ExecRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try Project.checkName(service, kind: "service")
        try checkIndex(index)
        try Project.checkEnvironment(environment.mapValues { $0 }, owner: "exec in \(service)")
    }
}

extension WaitRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try checkServices(services)
    }
}

extension EventsRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        if let projectName { try ProjectName.check(projectName) }
    }
}

extension TopRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try checkServices(services)
    }
}

extension VolumeCreateRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try Project.checkName(name, kind: "volume")
    }
}

extension ExecSessionRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try Project.checkName(service, kind: "service")
        try checkIndex(index)
        try Project.checkEnvironment(environment.mapValues { $0 }, owner: "exec in \(service)")
    }
}

extension AttachRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        if container == nil { try Project.checkName(service, kind: "service") }
    }
}

extension StatsRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try checkServices(services)
    }
}

extension CopyRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        try ProjectName.check(projectName)
        try Project.checkName(service, kind: "service")
        try checkIndex(index)
        guard copy.hostPath.hasPrefix("/"), !copy.containerPath.isEmpty,
            !(copy.hostPath + copy.containerPath).contains("\0")
        else {
            throw BerthError(.invalidArgument, "cp: the host path must be absolute and neither path may be empty")
        }
    }
}

extension BuilderPruneRequest: ValidatedRequest {
    public func validate() throws(BerthError) {
        if let keepStorage, keepStorage < 0 {
            throw BerthError(.invalidArgument, "--keep-storage \(keepStorage): a size is not negative")
        }
    }
}
