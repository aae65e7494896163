import BerthModel
import Registry
import TestSupport

/// The client the end-to-end tests use: no certificate directories of the
/// host, quick retries, and shut down when the body is done.
func withClient<T>(
    settings: RegistrySettings = RegistrySettings(certificateDirectories: []),
    credentials: any CredentialSource = NoCredentials(),
    connectTimeout: Duration = .seconds(5),
    readTimeout: Duration = .seconds(10),
    retry: RetryPolicy = RetryPolicy(attempts: 4, initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200)),
    _ body: (RegistryClient) async throws -> T
) async throws -> T {
    let client = RegistryClient(
        configuration: .init(
            settings: settings, connectTimeout: connectTimeout, readTimeout: readTimeout, retry: retry,
            userAgent: "berth-test"),
        credentials: credentials)
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}

/// Whether `body` throws a `BerthError` of `code` whose line contains every one of `parts`.
func expectFailure(
    _ code: BerthError.Code, mentioning parts: [String], _ body: () async throws -> Void
) async throws -> BerthError {
    do {
        try await body()
    } catch let error as BerthError {
        guard error.code == code, parts.allSatisfy({ error.line.contains($0) }) else {
            throw TestFailure("expected \(code) mentioning \(parts), got \(error.code): \(error.line)")
        }
        return error
    }
    throw TestFailure("expected \(code) mentioning \(parts), but it succeeded")
}
