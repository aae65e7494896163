import BerthModel
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
            self.init(code, message, cause: "\(error)")
        }
    }
}
