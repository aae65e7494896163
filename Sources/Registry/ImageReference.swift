import BerthModel

/// A parsed image reference: `[registry[:port]/]path[:tag][@sha256:hex]`.
///
/// The grammar is docker's (distribution/reference), normalized the way
/// `docker` normalizes it, so that `busybox`, `busybox:latest`,
/// `library/busybox` and `docker.io/library/busybox:latest` are one value:
/// no registry host means `docker.io`, a single path component on docker.io
/// gets `library/`, and no tag (and no digest) means `latest`. Equality and
/// hashing use that normal form.
public struct ImageReference: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The registry host and optional port, e.g. `docker.io`, `registry.example.com:5000`.
    public let domain: String
    /// The repository path on that registry, e.g. `library/busybox`, `team/app`.
    public let path: String
    /// The tag; nil only when the reference names a digest and no tag.
    public let tag: String?
    /// The manifest digest, when the reference pins one (`name@sha256:…`).
    public let digest: Digest?

    /// The registry that a reference without a host means.
    public static let defaultDomain = "docker.io"
    /// The tag that a reference without a tag or digest means.
    public static let defaultTag = "latest"

    /// Parses `text`, or throws an error that quotes it and says which rule it breaks.
    public init(parsing text: String) throws(BerthError) {
        func refuse(_ why: String) -> BerthError {
            BerthError(.invalidReference, "invalid image reference \"\(text)\": \(why)")
        }
        guard !text.isEmpty else { throw refuse("it is empty") }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7f }) else {
            throw refuse("it may hold only printable ASCII characters, no spaces")
        }
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            let digestText = String(rest[rest.index(after: at)...])
            do {
                digest = try Digest(parsing: digestText)
            } catch {
                throw refuse("the digest \"\(digestText)\" is not sha256: and 64 lowercase hex characters")
            }
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let tagText = rest[rest.index(after: colon)...]
            guard Grammar.isTag(tagText) else {
                throw refuse("the tag \"\(tagText)\" must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -")
            }
            tag = String(tagText)
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw refuse("it has no repository name") }

        // docker's rule for telling a registry host from a path component: it
        // has a dot or a port, is `localhost`, or has upper case (a path never does).
        var domain = Self.defaultDomain
        var path = rest
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(where: { $0 == "." || $0 == ":" }) || first == "localhost" || first.lowercased() != first
            {
                guard Grammar.isDomain(first) else {
                    throw refuse("the registry host \"\(first)\" is not a host name or [IPv6] with an optional :port")
                }
                domain = first == "index.docker.io" ? Self.defaultDomain : String(first)
                path = rest[rest.index(after: slash)...]
            }
        }
        guard !path.isEmpty else { throw refuse("it has no repository path after the registry host") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty else { throw refuse("the repository path has an empty component") }
            if component.contains(where: { $0.isUppercase }) { throw refuse("repository name must be lowercase") }
            guard Grammar.isPathComponent(component) else {
                throw refuse(
                    "the path component \"\(component)\" must be lowercase letters and digits, "
                        + "separated by one '.', one or two '_', or any '-'")
            }
        }
        // A reference that is 64 hex characters and nothing else is refused,
        // as docker does: it reads as an image ID. With a host or a tag
        // (`docker.io/<hex>`, `<hex>:v1`) it is a name like any other.
        if Digest(hex: text) != nil {
            throw refuse("a 64-character hex string is an image ID, not a repository name")
        }
        if domain == Self.defaultDomain, !path.contains("/") {
            path = "library/" + path
        }
        guard domain.utf8.count + 1 + path.utf8.count <= 255 else {
            throw refuse("the repository name is longer than 255 characters")
        }
        self.domain = domain
        self.path = String(path)
        self.digest = digest
        self.tag = tag ?? (digest == nil ? Self.defaultTag : nil)
    }

    /// The same repository with `tag` (and no digest), or an error if `tag` is not a valid tag.
    public func tagged(_ tag: String) throws(BerthError) -> ImageReference {
        guard Grammar.isTag(Substring(tag)) else {
            throw BerthError(
                .invalidReference,
                "invalid tag \"\(tag)\" for \(repository): must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -"
            )
        }
        return ImageReference(domain: domain, path: path, tag: tag, digest: nil)
    }

    /// The same repository pinned to `digest`, with no tag.
    public func pinned(to digest: Digest) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: nil, digest: digest)
    }

    private init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `domain/path`, e.g. `docker.io/library/busybox`.
    public var repository: String { "\(domain)/\(path)" }

    /// The full normal form, e.g. `docker.io/library/busybox:latest`.
    public var description: String {
        repository + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0.description } ?? "")
    }

    /// The short form `docker` prints, e.g. `busybox:latest`, `team/app:1.2`,
    /// `registry.example.com:5000/team/app:1.2`.
    public var familiar: String {
        var name = repository
        if domain == Self.defaultDomain {
            name = path
            let parts = path.split(separator: "/")
            if parts.count == 2, parts[0] == "library" { name = String(parts[1]) }
        }
        return name + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0.description } ?? "")
    }

    /// Orders by the full normal form, so lists are stable.
    public static func < (a: ImageReference, b: ImageReference) -> Bool { a.description < b.description }

    /// Decodes from a JSON string, parsed as `init(parsing:)` parses.
    public init(from decoder: any Decoder) throws {
        self = try TextCoding.decode(decoder) { text throws(BerthError) in try ImageReference(parsing: text) }
    }

    /// Encodes as the full normal form, a JSON string.
    public func encode(to encoder: any Encoder) throws {
        try TextCoding.encode(description, to: encoder)
    }
}

/// The character rules of distribution/reference, written out rather than as
/// regular expressions so each refusal can say which rule failed.
enum Grammar {
    static func isLowerAlnum(_ c: UInt8) -> Bool { (0x61...0x7a).contains(c) || (0x30...0x39).contains(c) }
    static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (0x41...0x5a).contains(c) }
    static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }

    /// `[\w][\w.-]{0,127}`.
    static func isTag(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, isWord(first), bytes.count <= 128 else { return false }
        return bytes.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
    static func isPathComponent(_ text: Substring) -> Bool {
        var separator: [UInt8] = []
        var sawAlnum = false
        for c in text.utf8 {
            if isLowerAlnum(c) {
                if !separator.isEmpty {
                    guard
                        separator == [0x2e] || separator == [0x5f] || separator == [0x5f, 0x5f]
                            || separator.allSatisfy({ $0 == 0x2d })
                    else { return false }
                    separator = []
                }
                sawAlnum = true
            } else if c == 0x2e || c == 0x5f || c == 0x2d {
                guard sawAlnum else { return false }
                separator.append(c)
            } else {
                return false
            }
        }
        return sawAlnum && separator.isEmpty
    }

    /// `host[:port]`, host being dot-separated labels or `[IPv6]`.
    static func isDomain(_ text: Substring) -> Bool {
        var host = text
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inside = host[host.index(after: host.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0 == ":" || $0.isHexDigit }) else { return false }
            host = host[host.index(after: close)...]
            if host.isEmpty { return true }
            guard host.hasPrefix(":") else { return false }
            return isPort(host.dropFirst())
        }
        if let colon = host.firstIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty
            && labels.allSatisfy { label in
                let bytes = Array(label.utf8)
                guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else {
                    return false
                }
                return bytes.allSatisfy { isAlnum($0) || $0 == 0x2d }
            }
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension ImageReference {
    /// What the registry is asked for: the digest when the reference pins one,
    /// else the tag. `name:tag@digest` pulls the digest and ignores the tag, as
    /// docker and containerd do (the tag is kept only as a label for people).
    public var manifestReference: String {
        digest?.description ?? tag ?? Self.defaultTag
    }

    /// The host and port the distribution API of `domain` answers on:
    /// `docker.io` is a name for people, its API is `registry-1.docker.io`.
    public var registryHost: String {
        domain == Self.defaultDomain ? Self.dockerHubAPIHost : domain
    }

    /// Where Docker Hub's distribution API answers.
    public static let dockerHubAPIHost = "registry-1.docker.io"

    /// The key docker's `config.json` files this registry's credentials
    /// under: Docker Hub's is its historical v1 URL, any other its host[:port].
    public var credentialKey: String {
        Self.credentialKey(forRegistry: domain)
    }

    /// The key docker's `config.json` uses for `registry` (a domain as a
    /// reference spells it, or a URL as `docker login` was given it).
    public static func credentialKey(forRegistry registry: String) -> String {
        let host = hostOfRegistryKey(registry)
        return host == defaultDomain || host == "index.docker.io" || host == dockerHubAPIHost
            ? "https://index.docker.io/v1/" : host
    }

    /// The host[:port] in a `config.json` key, which may be a bare host or a
    /// URL with a scheme and a path (`https://index.docker.io/v1/`,
    /// `http://registry.local:5000`), as docker's `ConvertToHostname` reads it.
    static func hostOfRegistryKey(_ key: String) -> String {
        var rest = Substring(key)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        return String(rest)
    }

    /// The same repository with no tag and no digest: what blob and upload
    /// requests and the token scope name.
    public var repositoryName: String { path }
}
