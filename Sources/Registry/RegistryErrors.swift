import AsyncHTTPClient
import BerthModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The errors a registry sends (`{"errors":[{"code":"MANIFEST_UNKNOWN",
/// "message":"manifest unknown","detail":…}]}`), and how they become ours.
enum RegistryErrorBody {
    private struct Document: Decodable {
        struct Entry: Decodable {
            var code: String?
            var message: String?
        }
        var errors: [Entry]?
    }

    /// The registry's own words: `MANIFEST_UNKNOWN: manifest unknown`, or
    /// the start of a body that is not the protocol's, or nil.
    static func summary(_ body: [UInt8]) -> String? {
        if let document = try? JSONDecoder().decode(Document.self, from: Data(body)), let errors = document.errors,
            !errors.isEmpty
        {
            return errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(
                separator: "; ")
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text.replacingOccurrences(of: "\n", with: " ")
    }

    /// The first error code in the body (`MANIFEST_UNKNOWN`), if any.
    static func code(_ body: [UInt8]) -> String? {
        (try? JSONDecoder().decode(Document.self, from: Data(body)))?.errors?.first?.code
    }

    /// Our error for an answer of `status`: 401 unauthorized, 403 denied,
    /// 404 and the registry's *_UNKNOWN codes `notFoundCode`, 429 and 5xx
    /// unreachable (the retries are spent), anything else `code`.
    static func error(
        status: HTTPResponseStatus, body: [UInt8], code: BerthError.Code, notFoundCode: BerthError.Code? = nil,
        message: String
    ) -> BerthError {
        let said = summary(body)
        let registryCode = self.code(body) ?? ""
        let mapped: BerthError.Code
        switch status.code {
        case 401: mapped = .unauthorized
        case 403: mapped = .denied
        case 404: mapped = notFoundCode ?? code
        case 429, 500...599: mapped = .registryUnreachable
        default: mapped = registryCode.hasSuffix("_UNKNOWN") ? notFoundCode ?? code : code
        }
        let cause = said.map { "\(status.code) \($0)" } ?? "\(status.code) \(status.reasonPhrase)"
        return BerthError(mapped, message, cause: cause)
    }
}

extension RegistryClient {
    /// What failed below HTTP, as an error naming the registry and the
    /// operation, and whether a retry may help (a refused or reset
    /// connection, no answer in time: yes; a certificate the client does
    /// not trust: no).
    static func transportFailure(
        _ error: any Error, endpoint: Endpoint, what: String, configuration: RegistryClient.Configuration
    ) -> TransportFailure {
        func fail(_ why: String, retryable: Bool = true, cause: String? = nil) -> TransportFailure {
            TransportFailure(
                error: BerthError(.registryUnreachable, "registry \(endpoint) \(why) (\(what))", cause: cause),
                retryable: retryable)
        }
        if error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return TransportFailure(error: BerthError(.cancelled, "cancelled while \(what)"), retryable: false)
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout:
                return fail("did not answer within \(seconds(configuration.readTimeout))")
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return fail("could not be connected to within \(seconds(configuration.connectTimeout))")
            case .deadlineExceeded:
                return fail("did not finish answering in time")
            case .remoteConnectionClosed:
                return fail("closed the connection")
            case .tlsHandshakeTimeout:
                return fail("did not finish the TLS handshake in time")
            default:
                return fail("failed", cause: "\(error)")
            }
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return fail(
                "refused TLS", retryable: false,
                cause: "\(error); a private CA goes in /etc/docker/certs.d/\(endpoint.host)/ca.crt, "
                    + "a registry without TLS in insecure-registries")
        }
        if let error = error as? IOError {
            return fail("is unreachable", cause: error.description)
        }
        return fail("is unreachable", cause: "\(error)")
    }

    private static func seconds(_ duration: Duration) -> String {
        let (whole, fraction) = duration.components
        return fraction == 0 ? "\(whole)s" : String(format: "%.1fs", Double(whole) + Double(fraction) / 1e18)
    }
}
