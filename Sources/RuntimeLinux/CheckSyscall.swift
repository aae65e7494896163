#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import BerthModel

extension BerthError {
    /// A failed system call: `operation` names the call and its object,
    /// `err` is the errno it left.
    static func system(_ operation: String, errno err: Int32) -> BerthError {
        BerthError(.system, operation, cause: String(cString: strerror(err)))
    }
}


/// The one choke point for libc calls that return -1 and set errno: turns
/// the failure into a `BerthError` naming the operation, and retries
/// EINTR, which a signal to any thread of berthd can cause.
@discardableResult
func checkSyscall(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws -> Int32 {
    while true {
        let result = call()
        if result != -1 { return result }
        let err = errno
        if err == EINTR { continue }
        throw BerthError.system(operation(), errno: err)
    }
}
