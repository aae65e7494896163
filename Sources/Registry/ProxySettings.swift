import Foundation

/// The proxy from the environment, read as Go's `httpproxy` (and so docker)
/// reads it: `HTTPS_PROXY` for https, `HTTP_PROXY` for http (upper or lower
/// case), `NO_PROXY` for the exceptions; loopback is never proxied.
public struct ProxySettings: Sendable, Hashable {
    /// A proxy: `host:port`, and the `user:password` of its URL if any.
    public struct Server: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?
    }

    /// For https:// registries.
    public var https: Server?
    /// For http:// (insecure) registries.
    public var http: Server?
    /// `NO_PROXY`'s entries: `*`, a host, `.domain` or `domain` (and its
    /// subdomains), `host:port`, or a CIDR.
    public var exceptions: [String]

    /// No proxy.
    public init(https: Server? = nil, http: Server? = nil, exceptions: [String] = []) {
        self.https = https
        self.http = http
        self.exceptions = exceptions
    }

    /// From `environment`'s `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`.
    public init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            (environment[name] ?? environment[name.lowercased()]).flatMap { $0.isEmpty ? nil : $0 }
        }
        self.init(
            https: value("HTTPS_PROXY").flatMap(Self.server),
            http: value("HTTP_PROXY").flatMap(Self.server),
            exceptions: (value("NO_PROXY") ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty })
    }

    /// The proxy for a request to `host` (`name[:port]`) over `scheme`, or nil to go direct.
    public func proxy(for host: String, scheme: String) -> Server? {
        guard let server = scheme == "https" ? https : http else { return nil }
        let name = RegistrySettings.hostName(host).lowercased()
        if name == "localhost" || CIDR.loopbackV4.contains(name) || CIDR.loopbackV6.contains(name) { return nil }
        for entry in exceptions.map({ $0.lowercased() }) {
            if entry == "*" || entry == host.lowercased() { return nil }
            if let range = CIDR(parsing: entry), range.contains(name) { return nil }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            let bare = RegistrySettings.hostName(domain)
            if name == bare || name.hasSuffix("." + bare) { return nil }
        }
        return server
    }

    /// `http://user:password@host:port` (scheme and credentials optional).
    static func server(_ text: String) -> Server? {
        var rest = Substring(text)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at].split(separator: ":", maxSplits: 1)
            username = credentials.first.map { String($0).removingPercentEncoding ?? String($0) }
            password = credentials.count > 1 ? String(credentials[1]).removingPercentEncoding : nil
            rest = rest[rest.index(after: at)...]
        }
        let name = RegistrySettings.hostName(String(rest))
        let portText = rest.hasPrefix("[") ? rest.split(separator: "]").last?.dropFirst() : rest.split(separator: ":").dropFirst().first
        let port = portText.flatMap { Int($0) } ?? (text.hasPrefix("https://") ? 443 : 80)
        guard !name.isEmpty else { return nil }
        return Server(host: name, port: port, username: username, password: password)
    }
}
