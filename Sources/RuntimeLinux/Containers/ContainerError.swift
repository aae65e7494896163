#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif
import BerthModel

/// Errors of this part of the runtime are the product's one error type;
/// the name says where they come from.
public typealias ContainerError = BerthError

extension BerthError {
    /// A failed system call: `operation` names the call and its object,
    /// `err` is the errno it left.
    static func system(_ operation: String, errno err: Int32) -> BerthError {
        BerthError(.system, operation, cause: String(cString: strerror(err)))
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
