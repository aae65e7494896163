import BerthModel
import Foundation
import HostOS
import NIOSSL

/// One place a registry's API answers: scheme, host[:port], a path prefix
/// (a mirror may sit below one), and the TLS it needs.
struct Endpoint: Sendable, CustomStringConvertible {
    /// `https` or `http`.
    let scheme: String
    /// `host[:port]`.
    let host: String
    /// Empty, or `/path` for a mirror below one.
    let pathPrefix: String
    /// The TLS for https: the system's roots plus the registry's own CA from
    /// certs.d, its client certificate, or no verification for an insecure registry.
    let tls: TLSConfiguration?
    /// A Docker Hub mirror, tried before Docker Hub itself.
    let isMirror: Bool

    /// `scheme://host/prefix`.
    var base: String { "\(scheme)://\(host)\(pathPrefix)" }

    /// The URL of `path` (`/v2/…`) here.
    func url(_ path: String) -> String { base + path }

    /// For messages: the host, and `(mirror)` for a mirror.
    var description: String { isMirror ? "mirror \(host)" : host }

    /// The places to try for `domain`, in order: Docker Hub's mirrors and
    /// then Docker Hub; an insecure registry over https without verification
    /// and then over http, as docker does; any other over verified https.
    static func candidates(for domain: String, settings: RegistrySettings) throws(BerthError) -> [Endpoint] {
        if domain == ImageReference.defaultDomain {
            let mirrors = try settings.mirrors.map { mirror throws(BerthError) in try Self.mirror(mirror, settings) }
            return mirrors + [try secure(host: ImageReference.dockerHubAPIHost, settings: settings)]
        }
        guard settings.isInsecure(domain) else { return [try secure(host: domain, settings: settings)] }
        var tls = try tlsConfiguration(host: domain, settings: settings)
        tls.certificateVerification = .none
        return [
            Endpoint(scheme: "https", host: domain, pathPrefix: "", tls: tls, isMirror: false),
            Endpoint(scheme: "http", host: domain, pathPrefix: "", tls: nil, isMirror: false),
        ]
    }

    private static func secure(host: String, settings: RegistrySettings) throws(BerthError) -> Endpoint {
        Endpoint(
            scheme: "https", host: host, pathPrefix: "", tls: try tlsConfiguration(host: host, settings: settings),
            isMirror: false)
    }

    private static func mirror(_ text: String, _ settings: RegistrySettings) throws(BerthError) -> Endpoint {
        guard let url = URL(string: text), let scheme = url.scheme, let name = url.host else {
            throw BerthError(.invalidArgument, "registry mirror \"\(text)\" is not a URL")
        }
        let host = url.port.map { "\(name):\($0)" } ?? name
        let path = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        var tls: TLSConfiguration?
        if scheme == "https" {
            tls = try tlsConfiguration(host: host, settings: settings)
            if settings.isInsecure(host) { tls?.certificateVerification = .none }
        }
        return Endpoint(scheme: scheme, host: host, pathPrefix: path, tls: tls, isMirror: true)
    }

    /// The client TLS for `host`: the system roots, plus every `*.crt` of
    /// `DIR/host/` as a CA and a `*.cert`/`*.key` pair as the client's own
    /// certificate, for the first certificate directory that has `host`.
    static func tlsConfiguration(host: String, settings: RegistrySettings) throws(BerthError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        for root in settings.certificateDirectories {
            let directory = "\(root)/\(host)"
            guard case .directory = Files.kind(directory) else { continue }
            let names = ((try? Files.names(in: directory)) ?? []).sorted()
            do {
                let authorities = names.filter { $0.hasSuffix(".crt") }
                if !authorities.isEmpty {
                    tls.additionalTrustRoots = [
                        .certificates(
                            try authorities.flatMap { try NIOSSLCertificate.fromPEMFile("\(directory)/\($0)") })
                    ]
                }
                if let cert = names.first(where: { $0.hasSuffix(".cert") }) {
                    let key = String(cert.dropLast(".cert".count)) + ".key"
                    guard names.contains(key) else {
                        throw BerthError(.invalidArgument, "\(directory)/\(cert) has no \(key) beside it")
                    }
                    tls.certificateChain = try NIOSSLCertificate.fromPEMFile("\(directory)/\(cert)").map {
                        .certificate($0)
                    }
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: "\(directory)/\(key)", format: .pem))
                }
            } catch let error as BerthError {
                throw error
            } catch {
                throw BerthError(.invalidArgument, "cannot load the certificates in \(directory)", cause: "\(error)")
            }
            break
        }
        return tls
    }
}
