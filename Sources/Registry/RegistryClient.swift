import AsyncHTTPClient
import BerthModel
import NIOCore
import NIOHTTP1
import Synchronization

/// A client of the OCI distribution API (docker's registry HTTP API v2):
/// manifests, blobs and uploads on any registry, with docker's auth,
/// mirrors, insecure registries, certificates and proxy.
///
/// One per process: it keeps connections, each registry's auth challenge
/// and its bearer tokens (one per repository scope, reused until they
/// expire). `shutdown()` before it goes away.
public final class RegistryClient: Sendable {
    /// How the client behaves; every limit a caller may want to change.
    public struct Configuration: Sendable {
        /// Mirrors, insecure registries, certificates, proxy, concurrency.
        public var settings: RegistrySettings
        /// How long a connection may take to open.
        public var connectTimeout: Duration
        /// How long a registry may stay silent (no byte of an answer) before
        /// the request is given up as unanswered (and retried).
        public var readTimeout: Duration
        /// Which failures are retried, how often, how long apart.
        public var retry: RetryPolicy
        /// Sent as `User-Agent`.
        public var userAgent: String
        /// The largest manifest accepted (containerd's limit).
        public var maximumManifestSize: Int

        /// The defaults: 10 s to connect, 30 s of silence, docker's attempts.
        public init(
            settings: RegistrySettings = RegistrySettings(), connectTimeout: Duration = .seconds(10),
            readTimeout: Duration = .seconds(30), retry: RetryPolicy? = nil, userAgent: String = "berth",
            maximumManifestSize: Int = 4 << 20
        ) {
            self.settings = settings
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.retry = retry ?? RetryPolicy(attempts: settings.maxDownloadAttempts)
            self.userAgent = userAgent
            self.maximumManifestSize = maximumManifestSize
        }
    }

    /// The configuration the client was made with.
    public let configuration: Configuration
    let credentials: any CredentialSource
    let http: HTTPClients
    private let sessions = Mutex<[String: AuthSession]>([:])
    private let chosen = Mutex<[String: Endpoint]>([:])

    /// A client; credentials are asked of `credentials` per registry, when first needed.
    public init(configuration: Configuration = Configuration(), credentials: any CredentialSource = NoCredentials()) {
        self.configuration = configuration
        self.credentials = credentials
        self.http = HTTPClients(
            proxy: configuration.settings.proxy, connectTimeout: configuration.connectTimeout,
            readTimeout: configuration.readTimeout)
    }

    /// Closes every connection. The client cannot be used afterwards.
    public func shutdown() async {
        await http.shutdown()
    }

    /// The auth state of `endpoint`, made on first use.
    func session(_ endpoint: Endpoint) -> AuthSession {
        sessions.withLock { sessions in
            if let session = sessions[endpoint.base] { return session }
            let session = AuthSession()
            sessions[endpoint.base] = session
            return session
        }
    }

    /// The endpoints to try for `domain`, in order: for Docker Hub its
    /// mirrors, then itself; for an insecure registry the scheme that
    /// answered the first probe (https tried before http, as docker does).
    /// `purpose` (`pulling app:1.0`) names the operation in errors.
    func endpoints(for domain: String, purpose: String) async throws(BerthError) -> [Endpoint] {
        if let known = chosen.withLock({ $0[domain] }) { return [known] }
        let candidates = try Endpoint.candidates(for: domain, settings: configuration.settings)
        guard candidates.count == 2, candidates.allSatisfy({ !$0.isMirror }) else { return candidates }
        // An insecure registry: the first scheme whose /v2/ answers at all.
        var lastError: BerthError?
        for candidate in candidates {
            do {
                try await probe(candidate, retries: candidate.scheme == "http", purpose: purpose)
                chosen.withLock { $0[domain] = candidate }
                return [candidate]
            } catch {
                guard error.code == .registryUnreachable else { throw error }
                lastError = error
            }
        }
        throw lastError ?? BerthError(.registryUnreachable, "registry \(domain) did not answer")
    }

    /// `GET /v2/`: whether the endpoint speaks the API, and the challenge
    /// its 401 carries (remembered for every later request to it). `retries`
    /// false when a failure means "try the next scheme" rather than "wait";
    /// `purpose` is what the probe comes before, for errors.
    func probe(_ endpoint: Endpoint, retries: Bool = true, purpose: String) async throws(BerthError) {
        let session = session(endpoint)
        guard await !session.probed else { return }
        let what = "checking the registry API at \(endpoint.base)/v2/ before \(purpose)"
        var request = HTTPClientRequest(url: endpoint.url("/v2/"))
        request.tlsConfiguration = endpoint.tls
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        var attempt = 1
        let response: HTTPClientResponse
        while true {
            do {
                // An insecure registry's https is only tried, docker's way: a server
                // that does not answer the handshake is given no longer than a read.
                let deadline = retries ? Duration.seconds(60) : configuration.readTimeout
                response = try await execute(request, on: endpoint, what: what, deadline: deadline)
                break
            } catch {
                guard retries, error.retryable, attempt < configuration.retry.attempts else { throw error.error }
                try await pause(configuration.retry.delay(after: attempt))
                attempt += 1
            }
        }
        let body = try await collect(response.body, limit: 64 << 10, what: what)
        switch response.status.code {
        case 200..<300:
            await session.probed(challenge: nil)
        case 401:
            let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
            let chosen = challenges.first { $0.scheme == "bearer" } ?? challenges.first { $0.scheme == "basic" }
            await session.probed(challenge: chosen)
        default:
            throw RegistryErrorBody.error(
                status: response.status, body: body, code: .registryProtocol,
                message: "\(endpoint.host) does not answer as a registry: /v2/ gave \(response.status.code)")
        }
    }
}

/// The HTTP clients a `RegistryClient` sends through: one direct, one per
/// proxy in the settings (AsyncHTTPClient sets a proxy per client, and
/// `NO_PROXY` picks per host).
///
/// Redirects are not followed here (`RegistryClient` follows them itself,
/// to drop the Authorization header on a redirect to another host), and a
/// refused connection is not retried here (the retry policy decides), so
/// a registry that is down fails within the policy's bounds.
final class HTTPClients: Sendable {
    let direct: HTTPClient
    let httpsProxied: HTTPClient?
    let httpProxied: HTTPClient?
    let proxy: ProxySettings

    init(proxy: ProxySettings, connectTimeout: Duration, readTimeout: Duration) {
        func make(_ server: ProxySettings.Server?) -> HTTPClient {
            var pool = HTTPClient.Configuration.ConnectionPool()
            pool.retryConnectionEstablishment = false
            let configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .init(connectTimeout), read: .init(readTimeout)),
                connectionPool: pool,
                proxy: server.map { server in
                    .server(
                        host: server.host, port: server.port,
                        authorization: server.username.map {
                            .basic(username: $0, password: server.password ?? "")
                        })
                },
                decompression: .disabled)
            return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        }
        self.proxy = proxy
        direct = make(nil)
        httpsProxied = proxy.https.map(make)
        httpProxied = proxy.http.map(make)
    }

    /// The client for a request to `host` over `scheme`.
    func client(host: String, scheme: String) -> HTTPClient {
        guard proxy.proxy(for: host, scheme: scheme) != nil else { return direct }
        return (scheme == "https" ? httpsProxied : httpProxied) ?? direct
    }

    /// Closes every connection; the clients cannot be used afterwards.
    func shutdown() async {
        for client in [direct, httpsProxied, httpProxied].compactMap({ $0 }) {
            try? await client.shutdown()
        }
    }
}

extension TimeAmount {
    /// The same span in NIO's unit.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
