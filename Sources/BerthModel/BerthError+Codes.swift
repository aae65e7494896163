extension BerthError {
    /// A stable, extensible error code (the `ServiceGroupError.Code` form).
    /// Coded as its plain string, so the daemon's errors reach the CLI whole.
    ///
    /// Every code Berth uses is declared below, once, whichever layer throws
    /// it: the daemon maps each to an HTTP status in one switch, and a
    /// `catch` matches a constant, never a spelling. The spellings travel
    /// over berthd's socket and stay as they are.
    public struct Code: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code's spelling, stable across releases.
        public let rawValue: String
        /// A code with the given spelling; declare new ones below.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The spelling.
        public var description: String { rawValue }
        public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }
}

// MARK: Compose files (the loader)

extension BerthError.Code {
    /// A compose file could not be read (missing, a directory, not text).
    public static let unreadableFile = BerthError.Code("unreadable-file")
    /// The YAML itself is malformed.
    public static let yamlSyntax = BerthError.Code("yaml-syntax")
    /// The YAML is well-formed but not a valid compose model.
    public static let invalidCompose = BerthError.Code("invalid-compose")
    /// A `${VAR:?msg}` or `${VAR?msg}` found no value.
    public static let interpolation = BerthError.Code("interpolation")
    /// A cycle in `depends_on`, `extends` or `include`.
    public static let cycle = BerthError.Code("cycle")
    /// No compose file was found where one was looked for.
    public static let noComposeFile = BerthError.Code("no-compose-file")
}

// MARK: The caller's request

extension BerthError.Code {
    /// The command line (or a request's arguments) was wrong in a way the
    /// parser could not see.
    public static let usage = BerthError.Code("usage")
    /// The caller lacks a privilege the operation needs (berthd not run as root).
    public static let permission = BerthError.Code("permission")
    /// A file the CLI was told to write (`config -o FILE`) could not be written.
    public static let unwritableFile = BerthError.Code("unwritable-file")
    /// A name, address or option that is malformed or contradictory.
    public static let invalidArgument = BerthError.Code("invalid-argument")
    /// A volume or container name the grammar refuses.
    public static let invalidName = BerthError.Code("invalid-name")
    /// An image reference the grammar refuses.
    public static let invalidReference = BerthError.Code("invalid-reference")
    /// A container spec that asks for something impossible or malformed.
    public static let invalidSpec = BerthError.Code("invalid-spec")
    /// Well-formed, but something this runtime or store does not handle.
    public static let unsupported = BerthError.Code("unsupported")
}

// MARK: Objects and their state

extension BerthError.Code {
    /// No container, image, network, volume, service or route by that name.
    public static let notFound = BerthError.Code("not-found")
    /// A container or network by that name exists already, or the container
    /// is attached already.
    public static let alreadyExists = BerthError.Code("already-exists")
    /// The network, volume, image or port is used by something else and
    /// cannot be removed or taken.
    public static let inUse = BerthError.Code("in-use")
    /// The container is not in a state that allows the operation (running
    /// when it must be stopped, stopped when it must run, being removed).
    public static let invalidState = BerthError.Code("invalid-state")
    /// A deadline passed before the awaited state arrived.
    public static let timeout = BerthError.Code("timeout")
    /// The request was cancelled before it finished.
    public static let cancelled = BerthError.Code("cancelled")
}

// MARK: The host and the runtime's own stores

extension BerthError.Code {
    /// The requested static address belongs to another container.
    public static let addressTaken = BerthError.Code("address-taken")
    /// The host address is not one of this machine's.
    public static let addressUnavailable = BerthError.Code("address-unavailable")
    /// Any other failure to listen on a published port.
    public static let bind = BerthError.Code("bind")
    /// The host's cgroup layout is one crun refuses and cannot be fixed here.
    public static let cgroupSetup = BerthError.Code("cgroup-setup")
    /// A helper command (`tar`, `gzip`, `cp`) failed or could not start.
    public static let command = BerthError.Code("command")
    /// Content whose sha256 is not the one it was named by.
    public static let digestMismatch = BerthError.Code("digest-mismatch")
    /// No subnet left in the pool, or no address left in the subnet.
    public static let exhausted = BerthError.Code("exhausted")
    /// The kernel or a helper program refused (netlink, nft, sysctl).
    public static let host = BerthError.Code("host")
    /// An archive or layout that is malformed, truncated or not of a known kind.
    public static let invalidArchive = BerthError.Code("invalid-archive")
    /// A file system operation failed.
    public static let io = BerthError.Code("io")
    /// A subnet overlaps one the host routes or another network uses.
    public static let overlap = BerthError.Code("overlap")
    /// crun (or the shim running it) refused, or a teardown left work undone.
    public static let runtime = BerthError.Code("runtime")
    /// A state file of the runtime could not be read or written.
    public static let state = BerthError.Code("state")
    /// A system call failed.
    public static let system = BerthError.Code("system")
    /// A user or group named in the spec is not in the container's rootfs.
    public static let unknownUser = BerthError.Code("unknown-user")
}

// MARK: Below the runtime: HostOS's kernel calls and the DNS server

extension BerthError.Code {
    /// The kernel refused a netlink request (HostOS).
    public static let netlink = BerthError.Code("netlink")
    /// A system call failed (HostOS; the runtime reports it as `system`).
    public static let syscall = BerthError.Code("syscall")
    /// The kernel sent something HostOS does not understand.
    public static let protocolViolation = BerthError.Code("protocol")
    /// A DNS packet ended in the middle of a field.
    public static let dnsTruncated = BerthError.Code("dns-truncated")
    /// A DNS name's compression pointer points forward, at itself, or into a loop.
    public static let dnsBadPointer = BerthError.Code("dns-bad-pointer")
    /// A DNS label is longer than 63 bytes or uses a reserved label type.
    public static let dnsBadLabel = BerthError.Code("dns-bad-label")
    /// A DNS name is longer than 255 bytes on the wire.
    public static let dnsNameTooLong = BerthError.Code("dns-name-too-long")
    /// A DNS record's data does not match its type (an A record that is not 4 bytes).
    public static let dnsBadRecord = BerthError.Code("dns-bad-record")
    /// An EDNS0 OPT record is misplaced, repeated or malformed.
    public static let dnsBadOPT = BerthError.Code("dns-bad-opt")
    /// Bytes follow the last record a DNS header announced.
    public static let dnsTrailingData = BerthError.Code("dns-trailing-data")
    /// A DNS message cannot be written (a field is out of range).
    public static let dnsUnencodable = BerthError.Code("dns-unencodable")
    /// A DNS listener could not be bound, an upstream failed, or the server is not in a state for the call.
    public static let dnsServer = BerthError.Code("dns-server")
}

// MARK: Image builds

extension BerthError.Code {
    /// A Dockerfile that does not parse, or an instruction whose arguments,
    /// flags or expanded values are malformed; the message begins with
    /// `Dockerfile:LINE: INSTRUCTION:`.
    public static let invalidDockerfile = BerthError.Code("invalid-dockerfile")
    /// The build context cannot be used: its directory is missing, a
    /// `.dockerignore` pattern is malformed, or a `COPY`/`ADD` source is
    /// missing, outside the context, or unreadable.
    public static let buildContext = BerthError.Code("build-context")
    /// A build step failed while it ran: a `RUN` exited non-zero, or a
    /// `COPY`/`ADD` could not write its layer; the message begins with
    /// `Dockerfile:LINE: INSTRUCTION …:`.
    public static let buildFailed = BerthError.Code("build-failed")
}

// MARK: Orchestration (the reconciler)

extension BerthError.Code {
    /// A `depends_on` condition can no longer be met: the dependency exited,
    /// failed, turned unhealthy, has no container, or took too long.
    public static let dependencyFailed = BerthError.Code("dependency-failed")
    /// A runtime call made while executing a plan failed.
    public static let executionFailed = BerthError.Code("execution-failed")
}

// MARK: berthd's socket

/// The codes of errors that come from the socket itself rather than from a
/// route: both ends of the transport throw them, and the CLI decides on
/// them (start berthd and retry, or tell the user to become root).
extension BerthError.Code {
    /// Nothing answers on berthd's socket (no file there, or nobody
    /// listening on it): the CLI may start berthd and retry.
    public static let daemonUnreachable = BerthError.Code("daemon-unreachable")
    /// berthd's socket exists but this user may not connect to it (mode
    /// 0600, owned by root): berth must run as root.
    public static let daemonAccessDenied = BerthError.Code("daemon-access-denied")
    /// The connection ended before berthd's answer was complete: berthd
    /// stopped or crashed during the request.
    public static let daemonConnectionLost = BerthError.Code("daemon-connection-lost")
    /// An answer that breaks the protocol of `Endpoint` (an error status whose
    /// body is not a `BerthError`, a stream line that is not a frame).
    public static let daemonProtocol = BerthError.Code("daemon-protocol")
    /// berthd could not prepare its socket (its directory, the stale file,
    /// bind, chmod).
    public static let daemonSocket = BerthError.Code("daemon-socket")
    /// Another berthd already answers on the socket this one was to listen on.
    public static let daemonAlreadyRunning = BerthError.Code("daemon-already-running")
    /// berthd refused a connection for load (its accept queue full) for longer than the client waits.
    public static let daemonBusy = BerthError.Code("daemon-busy")
    /// A request body larger than berthd accepts; answered with 413.
    public static let daemonRequestTooLarge = BerthError.Code("daemon-request-too-large")
    /// A request body that does not decode as the route's request type; answered with 400.
    public static let daemonInvalidRequest = BerthError.Code("invalid-request")
    /// A failure in berthd that was not a `BerthError` (or one of its own
    /// files it could not write); answered with 500.
    public static let daemonInternal = BerthError.Code("internal")
}

// MARK: Registries (pull and push)

extension BerthError.Code {
    /// The registry did not answer (refused, unreachable, no reply in time),
    /// after the retries a pull or push makes.
    public static let registryUnreachable = BerthError.Code("registry-unreachable")
    /// The registry refused the credentials, or wants some and none were given (401).
    public static let unauthorized = BerthError.Code("unauthorized")
    /// The credentials were accepted but do not allow the operation (403).
    public static let denied = BerthError.Code("denied")
    /// The registry has no such repository, tag or manifest digest.
    public static let manifestUnknown = BerthError.Code("manifest-unknown")
    /// The registry has no blob of that digest in the repository.
    public static let blobUnknown = BerthError.Code("blob-unknown")
    /// An image index with no manifest for the platform asked for.
    public static let platformNotFound = BerthError.Code("platform-not-found")
    /// The registry answered in a way the distribution protocol does not
    /// allow, or with an error that has no code of its own above.
    public static let registryProtocol = BerthError.Code("registry-protocol")
    /// A docker credential helper (`docker-credential-NAME`) failed or
    /// answered something that is not its protocol.
    public static let credentialHelper = BerthError.Code("credential-helper")
}
