import BerthModel
import HostOS

extension BerthError {
    /// A failed system call: `operation` names the call and its object,
    /// `err` is the errno it left.
    static func system(_ operation: String, errno err: Int32) -> BerthError {
        BerthError(.system, operation, cause: HostOSError.describe(errno: err))
    }
}

/// HostOS's choke point for libc calls that return -1 and set errno
/// (`Syscall.check`: EINTR retried, errno read at once), with the failure
/// as a `BerthError` naming the operation.
@discardableResult
func checkSyscall(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws -> Int32 {
    do throws(HostOSError) {
        return try Syscall.check(operation(), call)
    } catch {
        throw BerthError(.system, error.message, cause: error.errno.map { HostOSError.describe(errno: $0) })
    }
}
