import HostOS

/// Runs a command and returns its standard output; throws, with its
/// standard error, when it fails. The readback side of the system tests
/// uses the real `ip`, `nft` and `nsenter`.
@discardableResult
public func sh(_ arguments: String..., timeout: Duration = .seconds(20)) async throws -> String {
    try await sh(arguments, timeout: timeout)
}

/// `sh` with the arguments in an array.
@discardableResult
public func sh(_ arguments: [String], timeout: Duration = .seconds(20)) async throws -> String {
    try await ProcessRunner().run(Command(arguments, timeout: timeout)).check().output
}

/// Runs a command and says whether it exited 0.
public func succeeds(_ arguments: String..., timeout: Duration = .seconds(20)) async throws -> Bool {
    try await ProcessRunner().run(Command(arguments, timeout: timeout)).succeeded
}
