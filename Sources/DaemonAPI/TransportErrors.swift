import BerthModel

/// The codes of errors that come from the socket itself rather than from a
/// route: both ends of the transport throw them, and the CLI decides on
/// them (start berthd and retry, or tell the user to become root).
///
/// Named `daemon…` so that they cannot clash with another module's code of
/// the same raw value (RuntimeLinux declares `notFound`, `system`, …).
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
    /// An answer that breaks the protocol of `Route` (an error status whose
    /// body is not a `BerthError`, a stream line that is not a frame).
    public static let daemonProtocol = BerthError.Code("daemon-protocol")
    /// berthd could not prepare its socket (its directory, the stale file,
    /// bind, chmod).
    public static let daemonSocket = BerthError.Code("daemon-socket")
    /// Another berthd already answers on the socket this one was to listen on.
    public static let daemonAlreadyRunning = BerthError.Code("daemon-already-running")
    /// A request body larger than berthd accepts; answered with 413.
    public static let daemonRequestTooLarge = BerthError.Code("daemon-request-too-large")
    /// A request body that does not decode as the route's request type; answered with 400.
    public static let daemonInvalidRequest = BerthError.Code("invalid-request")
    /// A failure in berthd that was not a `BerthError`; answered with 500.
    public static let daemonInternal = BerthError.Code("internal")
}
