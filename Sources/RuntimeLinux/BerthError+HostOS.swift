import BerthModel
import Foundation
import HostOS

extension BerthError {
    /// The one place a failure from below, a `HostOSError` (netlink, a
    /// system call, a namespace, a helper command run by `CommandRunner`),
    /// becomes the product's error. `message` says what Berth was doing
    /// and to what; the failure's own text, written to be read as is
    /// (`netlink: create bridge "berth0a1b": File exists (EEXIST)`), is
    /// the cause.
    ///
    /// `code` is the kind of failure as the caller meets it: `host` for the
    /// network plumbing, `io` for a directory, `command` for a helper,
    /// `state` for the runtime's records. A HostOS `timeout` stays a
    /// `timeout`, whatever was being done: a deadline passed, and that is
    /// what a caller may wait out or retry. A `BerthError` (a body run on
    /// a dedicated thread throws ours too) passes as it is: it already
    /// names its object.
    init(_ code: Code, _ message: String, wrapping error: any Error) {
        if let error = error as? BerthError {
            self = error
        } else if let failure = error as? HostOSError, failure.code == .timeout {
            self.init(.timeout, message, cause: failure.description)
        } else {
            self.init(code, message, cause: Self.describe(error))
        }
    }

    /// A failure from below in words a user can act on: Foundation's file
    /// errors (`Error Domain=NSCocoaErrorDomain Code=640 …`) become the path
    /// and the system's reason with its errno (`/var/lib/berth/x: No space
    /// left on device (errno 28)`); anything else as it describes itself.
    static func describe(_ error: any Error) -> String {
        if let error = error as? BerthError { return error.message + (error.cause.map { ": " + $0 } ?? "") }
        if error is HostOSError { return "\(error)" }
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        var errno: Int32?
        if ns.domain == NSPOSIXErrorDomain {
            errno = Int32(ns.code)
        } else if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            errno = Int32(underlying.code)
        }
        let reason = errno.map { "\(String(cString: strerror($0))) (errno \($0))" } ?? ns.localizedDescription
        return path.map { "\($0): \(reason)" } ?? reason
    }
}
