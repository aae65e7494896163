import BerthModel
import Foundation
import HostOS

/// How berthd reaches registries: docker's daemon settings (`daemon.json`'s
/// `registry-mirrors`, `insecure-registries`, `max-concurrent-downloads`,
/// `max-concurrent-uploads`, `max-download-attempts`), the directories of
/// per-registry certificates, and the proxy from the environment.
public struct RegistrySettings: Sendable, Hashable {
    /// Mirrors of Docker Hub, tried in order before it (`https://mirror.example`).
    public var mirrors: [String]
    /// Registries reached without a verified certificate, or over plain
    /// HTTP: `host[:port]` names, or CIDRs their addresses fall in.
    public var insecureRegistries: [String]
    /// Layers downloaded at once (docker's default is 3; Berth's 4).
    public var maxConcurrentDownloads: Int
    /// Blobs uploaded at once.
    public var maxConcurrentUploads: Int
    /// Tries per request, the first included.
    public var maxDownloadAttempts: Int
    /// Directories of `HOST[:PORT]/ca.crt` (and `client.cert`/`client.key`), first found wins.
    public var certificateDirectories: [String]
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`.
    public var proxy: ProxySettings
    /// Whether loopback registries are insecure without being listed, as
    /// docker has them (its 127.0.0.0/8 default). Off, a loopback registry
    /// must present a certificate the client trusts (tests of TLS use that).
    public var loopbackIsInsecure = true

    /// The default directories of per-registry certificates: Berth's own, then docker's.
    public static let defaultCertificateDirectories = ["/etc/berth/certs.d", "/etc/docker/certs.d"]
    /// Where berthd reads its daemon settings.
    public static let defaultPath = "/etc/berth/daemon.json"

    /// Settings; the defaults are docker's with no daemon.json.
    public init(
        mirrors: [String] = [], insecureRegistries: [String] = [], maxConcurrentDownloads: Int = 4,
        maxConcurrentUploads: Int = 5, maxDownloadAttempts: Int = 5,
        certificateDirectories: [String] = defaultCertificateDirectories, proxy: ProxySettings = ProxySettings()
    ) {
        self.mirrors = mirrors
        self.insecureRegistries = insecureRegistries
        self.maxConcurrentDownloads = max(1, maxConcurrentDownloads)
        self.maxConcurrentUploads = max(1, maxConcurrentUploads)
        self.maxDownloadAttempts = max(1, maxDownloadAttempts)
        self.certificateDirectories = certificateDirectories
        self.proxy = proxy
    }

    /// Reads the registry keys of a daemon.json (others, berthd's own or
    /// docker's, are not this type's); a missing file gives the defaults.
    public static func load(
        path: String = defaultPath, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(BerthError) -> RegistrySettings {
        let bytes: [UInt8]?
        do {
            bytes = try AtomicFile.read(path)
        } catch {
            throw BerthError(.unreadableFile, "cannot read \(path)", cause: error.description)
        }
        var settings = RegistrySettings(proxy: ProxySettings(environment: environment))
        guard let bytes else { return settings }
        try settings.apply(daemonJSON: bytes, path: path)
        return settings
    }

    /// Takes the registry keys of a daemon.json's bytes.
    public mutating func apply(daemonJSON bytes: [UInt8], path: String) throws(BerthError) {
        struct Keys: Decodable {
            var mirrors: [String]?
            var insecure: [String]?
            var downloads: Int?
            var uploads: Int?
            var attempts: Int?
            enum CodingKeys: String, CodingKey {
                case mirrors = "registry-mirrors", insecure = "insecure-registries"
                case downloads = "max-concurrent-downloads", uploads = "max-concurrent-uploads"
                case attempts = "max-download-attempts"
            }
        }
        let keys: Keys
        do {
            keys = try JSONDecoder().decode(Keys.self, from: Data(bytes))
        } catch {
            throw BerthError(.invalidArgument, "\(path) is not a daemon configuration", cause: "\(error)")
        }
        for mirror in keys.mirrors ?? [] {
            guard mirror.hasPrefix("https://") || mirror.hasPrefix("http://"), URL(string: mirror)?.host != nil
            else {
                throw BerthError(
                    .invalidArgument, "\(path): registry-mirrors: \"\(mirror)\" is not an http:// or https:// URL")
            }
        }
        for entry in keys.insecure ?? [] where entry.contains("://") {
            throw BerthError(
                .invalidArgument, "\(path): insecure-registries: \"\(entry)\" must be host[:port] or a CIDR, no scheme")
        }
        mirrors = (keys.mirrors ?? mirrors).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        insecureRegistries = keys.insecure ?? insecureRegistries
        maxConcurrentDownloads = max(1, keys.downloads ?? maxConcurrentDownloads)
        maxConcurrentUploads = max(1, keys.uploads ?? maxConcurrentUploads)
        maxDownloadAttempts = max(1, keys.attempts ?? maxDownloadAttempts)
    }

    /// Whether `host` (`host[:port]` as in a reference) is insecure: named in
    /// `insecureRegistries`, or an address in one of its CIDRs, or loopback
    /// (127.0.0.0/8, ::1, `localhost`), as docker treats it by default.
    /// A name is resolved to see whether its addresses fall in a CIDR.
    public func isInsecure(_ host: String) -> Bool {
        if insecureRegistries.contains(host) { return true }
        let name = Self.hostName(host)
        if insecureRegistries.contains(name) { return true }
        let addresses = name == "localhost" ? ["127.0.0.1"] : Self.addresses(of: name)
        let ranges =
            (loopbackIsInsecure ? [CIDR.loopbackV4, CIDR.loopbackV6] : [])
            + insecureRegistries.compactMap(CIDR.init(parsing:))
        return addresses.contains { address in ranges.contains { $0.contains(address) } }
    }

    /// `host` without its port; `[::1]:5000` → `::1`.
    static func hostName(_ host: String) -> String {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<close])
        }
        return String(host.prefix { $0 != ":" })
    }

    /// The addresses `name` stands for: itself when it is one, else what the resolver says.
    static func addresses(of name: String) -> [String] {
        if CIDR.bytes(of: name) != nil { return [name] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var out: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(
                entry.pointee.ai_addr, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0,
                NI_NUMERICHOST) == 0
            {
                out.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = entry.pointee.ai_next
        }
        return out
    }
}

/// An address range, IPv4 or IPv6: `10.0.0.0/8`, `fd00::/8`.
struct CIDR: Hashable, Sendable {
    let network: [UInt8]
    let prefix: Int

    static let loopbackV4 = CIDR(network: [127, 0, 0, 0], prefix: 8)
    static let loopbackV6 = CIDR(network: [UInt8](repeating: 0, count: 15) + [1], prefix: 128)

    init(network: [UInt8], prefix: Int) {
        self.network = network
        self.prefix = prefix
    }

    /// `address/prefix`, or nil when `text` is not one.
    init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let bytes = Self.bytes(of: String(parts[0])), let prefix = Int(parts[1]),
            (0...(bytes.count * 8)).contains(prefix)
        else { return nil }
        self.init(network: bytes, prefix: prefix)
    }

    /// Whether the address `text` is in the range.
    func contains(_ text: String) -> Bool {
        guard let bytes = Self.bytes(of: text), bytes.count == network.count else { return false }
        for bit in 0..<prefix {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            if bytes[bit / 8] & mask != network[bit / 8] & mask { return false }
        }
        return true
    }

    /// The 4 or 16 bytes of an address, or nil.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

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
        let portText =
            rest.hasPrefix("[")
            ? rest.split(separator: "]").last?.dropFirst() : rest.split(separator: ":").dropFirst().first
        let port = portText.flatMap { Int($0) } ?? (text.hasPrefix("https://") ? 443 : 80)
        guard !name.isEmpty else { return nil }
        return Server(host: name, port: port, username: username, password: password)
    }
}
