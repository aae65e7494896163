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
        domain == Self.defaultDomain ? "registry-1.docker.io" : domain
    }

    /// The key docker's `config.json` files this registry's credentials
    /// under: Docker Hub's is its historical v1 URL, any other its host[:port].
    public var credentialKey: String {
        Self.credentialKey(forRegistry: domain)
    }

    /// The key docker's `config.json` uses for `registry` (a domain as a
    /// reference spells it, or a URL as `docker login` was given it).
    public static func credentialKey(forRegistry registry: String) -> String {
        let host = hostOfRegistryKey(registry)
        return host == defaultDomain || host == "index.docker.io" || host == "registry-1.docker.io"
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
