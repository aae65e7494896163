#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The error every container operation throws: a code, a message that names
/// the operation, the container and the value, and the cause underneath.
///
/// It has `BerthModel.BerthError`'s shape (code, message, cause) without its
/// import: `RuntimeLinux` may not import `BerthModel` (DESIGN.md), so the
/// layer above maps one onto the other.
public struct ContainerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, extensible error code (the `ServiceGroupError.Code` form).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as text, stable across releases.
        public let rawValue: String
        /// A code with the given text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The code as text.
        public var description: String { rawValue }

        /// The spec asks for something impossible or malformed.
        public static let invalidSpec = Code("invalid-spec")
        /// A user or group named in the spec is not in the container's rootfs.
        public static let unknownUser = Code("unknown-user")
        /// No container by that id under this driver's root.
        public static let notFound = Code("not-found")
        /// A container by that id already exists.
        public static let alreadyExists = Code("already-exists")
        /// The container is not in a state that allows the operation.
        public static let invalidState = Code("invalid-state")
        /// crun (or the shim running it) refused.
        public static let runtime = Code("runtime")
        /// A system call failed.
        public static let system = Code("system")
        /// A deadline passed before the awaited state arrived.
        public static let timeout = Code("timeout")
        /// The host's cgroup layout is one crun refuses and cannot be fixed here.
        public static let cgroupSetup = Code("cgroup-setup")
    }

    /// What kind of failure this is.
    public var code: Code
    /// The operation, the object and the value, in words a user can act on.
    public var message: String
    /// The underlying reason (errno text, crun's own message), when known.
    public var cause: String?
    /// Further errors found in the same pass (teardown reports them all).
    public var more: [ContainerError]

    /// An error with the given code, message and cause.
    public init(_ code: Code, _ message: String, cause: String? = nil, more: [ContainerError] = []) {
        self.code = code
        self.message = message
        self.cause = cause
        self.more = more
    }

    /// `message (cause)`, then each further error on its own line.
    public var description: String {
        let first = cause.map { "\(message) (\($0))" } ?? message
        return ([first] + more.map(\.description)).joined(separator: "\n")
    }

    /// Joins several errors into one that prints them all; nil when empty.
    public static func combined(_ errors: [ContainerError]) -> ContainerError? {
        guard var first = errors.first else { return nil }
        first.more += errors.dropFirst()
        return first
    }

    /// A failed system call: `operation` names the call and its object,
    /// `err` is the errno it left.
    static func system(_ operation: String, errno err: Int32) -> ContainerError {
        ContainerError(.system, operation, cause: String(cString: strerror(err)))
    }
}

/// The one choke point for libc calls that return -1 and set errno: turns
/// the failure into a `ContainerError` naming the operation, and retries
/// EINTR, which a signal to any thread of berthd can cause.
@discardableResult
func checkSyscall(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws -> Int32 {
    while true {
        let result = call()
        if result != -1 { return result }
        let err = errno
        if err == EINTR { continue }
        throw ContainerError.system(operation(), errno: err)
    }
}
