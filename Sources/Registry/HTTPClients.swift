import AsyncHTTPClient
import NIOCore

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
            var configuration = HTTPClient.Configuration(
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
            configuration.httpVersion = .automatic
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
