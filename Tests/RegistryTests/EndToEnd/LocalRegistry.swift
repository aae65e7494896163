import BerthModel
import Foundation
import HostOS
import Registry
import TestSupport

/// A CNCF distribution registry (Debian's `docker-registry`) on 127.0.0.1,
/// its storage and log in the test's scratch directory; stopped by `stop()`
/// or when it goes away.
final class LocalRegistry {
    /// How it authenticates and whether it speaks TLS.
    enum Auth {
        case none
        /// htpasswd's bcrypt file.
        case htpasswd(path: String)
        /// Tokens from `realm`, verified against the certificate bundle.
        case token(realm: String, service: String, issuer: String, bundle: String)
    }

    let port: Int
    let process: BackgroundProcess
    /// `127.0.0.1:PORT`.
    var host: String { "127.0.0.1:\(port)" }

    init(in scratch: ScratchDirectory, name: String, auth: Auth = .none, tls: (cert: String, key: String)? = nil)
        async throws
    {
        port = try Loopback.freePort()
        var config = """
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: \(scratch.path(name + "-data"))
            http:
              addr: 127.0.0.1:\(port)

            """
        if let tls {
            config += "  tls:\n    certificate: \(tls.cert)\n    key: \(tls.key)\n"
        }
        switch auth {
        case .none:
            break
        case .htpasswd(let path):
            config += "auth:\n  htpasswd:\n    realm: berth-test\n    path: \(path)\n"
        case .token(let realm, let service, let issuer, let bundle):
            config += """
                auth:
                  token:
                    realm: \(realm)
                    service: \(service)
                    issuer: \(issuer)
                    rootcertbundle: \(bundle)

                """
        }
        let configPath = try scratch.write(name + ".yml", config)
        process = try BackgroundProcess(["docker-registry", "serve", configPath], output: scratch.path(name + ".log"))
        let port = port
        guard try await eventually(within: 60, { Loopback.isListening(port) }) else {
            throw TestFailure("docker-registry did not listen on \(port): \(process.errorOutput)")
        }
    }

    func stop() { process.stop() }

    /// How many requests of the access log contain `text` (e.g. `"GET /v2/app/blobs/sha256:…`).
    func requests(containing text: String) -> Int {
        // The access log goes to stdout, where each line quotes its request (`"GET /v2/… HTTP/1.1"`).
        lines(of: process.output, containing: "\"" + text)
    }
}

/// Runs a command and fails the test, with its stderr, if it fails.
@discardableResult
func run(_ arguments: [String], input: [UInt8] = []) async throws -> CommandResult {
    let result = try await ProcessRunner().run(Command(arguments, standardInput: input, timeout: .seconds(60)))
    guard result.succeeded else {
        throw TestFailure("\(arguments.joined(separator: " ")) \(result.termination): \(result.errorOutput)")
    }
    return result
}

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
