import AsyncHTTPClient
import BerthModel
import Foundation
import NIOCore
import NIOHTTP1

/// One request of the protocol, as the operations above describe it; made
/// into an HTTP request anew for every try.
struct RegistryRequest: Sendable {
    var method: HTTPMethod = .GET
    /// `/v2/…` below the endpoint, or an absolute URL (an upload's Location).
    var path: String
    var headers: HTTPHeaders = [:]
    /// The body of each try (a stream cannot be sent twice).
    var body: (@Sendable () -> HTTPClientRequest.Body)?
    /// The token scopes it needs: `repository:NAME:pull[,push]`.
    var scopes: [String]
    /// What is being done, for errors: `fetching the manifest of app:1.0`.
    var what: String
    /// The whole exchange's deadline; nil for blobs, which may take long
    /// and are bounded by the read timeout instead.
    var deadline: Duration? = .seconds(120)
}

/// A failure below HTTP (refused, reset, no answer in time, TLS), and
/// whether trying again may help.
struct TransportFailure: Error {
    let error: BerthError
    let retryable: Bool
}

extension RegistryClient {
    /// Sends `request` to `endpoint` with authentication, following
    /// redirects, retrying what the policy retries (a dropped connection,
    /// no answer, 5xx, 429 after its Retry-After), and once more with fresh
    /// credentials after a 401. The response may be any status; its body is
    /// the caller's to read.
    func send(_ request: RegistryRequest, on endpoint: Endpoint, domain: String) async throws(BerthError)
        -> HTTPClientResponse
    {
        try await probe(endpoint, purpose: request.what)
        let session = session(endpoint)
        let policy = configuration.retry
        var attempt = 1
        var reauthenticated = false
        while true {
            let authorization = try await session.authorization(
                scopes: request.scopes,
                lookup: { () async throws(BerthError) -> Credentials? in
                    try await self.credentials.credentials(forRegistry: domain)
                },
                fetch: { challenge, scopes, credentials in
                    try await self.fetchToken(challenge, scopes: scopes, credentials: credentials, endpoint: endpoint)
                })
            let response: HTTPClientResponse
            do {
                response = try await exchange(request, on: endpoint, authorization: authorization)
            } catch let failure as TransportFailure {
                guard failure.retryable, attempt < policy.attempts else { throw failure.error }
                try await pause(policy.delay(after: attempt))
                attempt += 1
                continue
            } catch {
                throw BerthError(.registryProtocol, "\(request.what) failed", cause: "\(error)")
            }
            let status = response.status.code
            if status == 401, !reauthenticated {
                reauthenticated = true
                await drain(response)
                let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
                if let challenge = challenges.first(where: { $0.scheme == "bearer" || $0.scheme == "basic" }) {
                    await session.challenged(challenge)
                }
                await session.invalidate(request.scopes)
                continue
            }
            guard attempt < policy.attempts, status == 429 || [500, 502, 503, 504].contains(status) else {
                return response
            }
            await drain(response)
            var wait = policy.delay(after: attempt)
            if status == 429, let header = response.headers.first(name: "Retry-After"),
                let asked = RetryPolicy.retryAfter(header)
            {
                guard asked <= policy.maximumRetryAfter else { return response }
                wait = asked
            }
            try await pause(wait)
            attempt += 1
        }
    }

    /// One try: the request, and the redirects it leads to (at most 10). A
    /// redirect to another host does not carry the Authorization header, as
    /// docker does: blob storage (S3, a CDN) has its own signed URL, and the
    /// registry's token is none of its business.
    private func exchange(_ request: RegistryRequest, on endpoint: Endpoint, authorization: String?) async throws
        -> HTTPClientResponse
    {
        var url = request.path.hasPrefix("/") ? endpoint.url(request.path) : request.path
        var method = request.method
        var sendsBody = true
        for _ in 0...10 {
            var http = HTTPClientRequest(url: url)
            http.method = method
            http.headers = request.headers
            http.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
            let target = URL(string: url)
            let sameHost =
                target?.host == URL(string: endpoint.base)?.host && target?.port == URL(string: endpoint.base)?.port
            if let authorization, sameHost { http.headers.replaceOrAdd(name: "Authorization", value: authorization) }
            if sendsBody, let body = request.body { http.body = body() }
            http.tlsConfiguration = sameHost ? endpoint.tls : nil
            let response = try await execute(http, on: endpoint, what: request.what, deadline: request.deadline)
            guard [301, 302, 303, 307, 308].contains(response.status.code),
                let location = response.headers.first(name: "Location"),
                let next = URL(string: location, relativeTo: URL(string: url))?.absoluteString
            else { return response }
            await drain(response)
            if response.status.code == 303
                || (response.status.code != 307 && response.status.code != 308 && method == .POST)
            {
                method = .GET
                sendsBody = false
            }
            url = next
        }
        throw TransportFailure(
            error: BerthError(.registryProtocol, "\(request.what): more than 10 redirects from \(endpoint.host)"),
            retryable: false)
    }

    /// Sends one HTTP request, turning what fails below HTTP into a
    /// `TransportFailure` that names the registry and what was being done.
    func execute(_ request: HTTPClientRequest, on endpoint: Endpoint, what: String, deadline: Duration?)
        async throws(TransportFailure)
        -> HTTPClientResponse
    {
        let host = URL(string: request.url)?.host ?? endpoint.host
        let scheme = URL(string: request.url)?.scheme ?? endpoint.scheme
        let client = http.client(host: host, scheme: scheme)
        do {
            return try await client.execute(
                request, deadline: deadline.map { .now() + TimeAmount($0) } ?? .distantFuture)
        } catch {
            throw Self.transportFailure(error, endpoint: endpoint, what: what, configuration: configuration)
        }
    }

    /// Reads a whole (small) body, refusing one longer than `limit`.
    func collect(_ body: HTTPClientResponse.Body, limit: Int, what: String) async throws(BerthError) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                guard bytes.count + chunk.readableBytes <= limit else {
                    throw BerthError(.registryProtocol, "\(what): the answer is larger than \(limit) bytes")
                }
                bytes += chunk.readableBytesView
            }
        } catch let error as BerthError {
            throw error
        } catch {
            throw BerthError(.registryUnreachable, "\(what): the answer broke off", cause: "\(error)")
        }
        return bytes
    }

    /// Reads and drops what is left of a body, so the connection can be reused.
    func drain(_ response: HTTPClientResponse) async {
        _ = try? await collect(response.body, limit: 1 << 20, what: "")
    }

    /// Waits `duration`; cancellation ends the wait with an error.
    func pause(_ duration: Duration) async throws(BerthError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw BerthError(.cancelled, "cancelled while waiting to retry")
        }
    }
}

/// When a request that failed for a passing reason (a 5xx, a 429, a dropped
/// connection, no answer in time) is tried again, and how long to wait first.
///
/// The delay doubles from `initialDelay` up to `maximumDelay`, with up to a
/// quarter taken off at random so that parallel pulls do not retry in step;
/// a 429's `Retry-After` is honoured instead, up to `maximumRetryAfter`.
public struct RetryPolicy: Sendable, Hashable {
    /// Tries in all, the first included; 1 means no retry.
    public var attempts: Int
    /// The wait before the first retry.
    public var initialDelay: Duration
    /// The longest wait between two tries.
    public var maximumDelay: Duration
    /// The longest `Retry-After` obeyed; a registry asking for more is failed with its answer.
    public var maximumRetryAfter: Duration

    /// A policy; the defaults retry 5 times over about 6 seconds.
    public init(
        attempts: Int = 6, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(3),
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The wait before try `attempt + 1`, after try `attempt` (1-based) failed;
    /// `jitter` in 0...1 takes up to a quarter off.
    public func delay(after attempt: Int, jitter: Double = Double.random(in: 0...1)) -> Duration {
        let doublings = min(max(attempt - 1, 0), 30)
        let full = min(initialDelay * (1 << doublings), maximumDelay)
        let (seconds, attoseconds) = full.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let off = Int64((Double(nanoseconds) * min(max(jitter, 0), 1) / 4).rounded())
        return .nanoseconds(nanoseconds - off)
    }

    /// The wait a `Retry-After` value asks for: delta-seconds or an
    /// HTTP-date (RFC 9110), measured from `now`; nil when it is neither.
    public static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return .seconds(seconds) }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let seconds = max(0, date.timeIntervalSince(now))
                return .milliseconds(Int64((seconds * 1000).rounded(.up)))
            }
        }
        return nil
    }
}
