import BerthModel
import Testing

@testable import Registry

/// daemon.json's registry keys, insecure registries, and the proxy.
@Suite struct RegistrySettingsTests {
    @Test func daemonJSONKeysAsDockersAre() throws {
        var settings = RegistrySettings()
        let json = """
            {"registry-mirrors": ["https://mirror.example/", "http://127.0.0.1:5001"],
             "insecure-registries": ["registry.lan:5000", "10.0.0.0/8"],
             "max-concurrent-downloads": 6, "max-download-attempts": 2, "log-level": "debug"}
            """
        try settings.apply(daemonJSON: Array(json.utf8), path: "daemon.json")
        #expect(settings.mirrors == ["https://mirror.example", "http://127.0.0.1:5001"])
        #expect(settings.maxConcurrentDownloads == 6)
        #expect(settings.maxDownloadAttempts == 2)
        #expect(settings.maxConcurrentUploads == 5)
        #expect(settings.isInsecure("registry.lan:5000"))
        #expect(settings.isInsecure("10.1.2.3:5000"))
        #expect(!settings.isInsecure("11.1.2.3:5000"))
    }

    @Test func loopbackIsInsecureByDefault() {
        let settings = RegistrySettings()
        #expect(settings.isInsecure("localhost:5000"))
        #expect(settings.isInsecure("127.0.0.1:5000"))
        #expect(settings.isInsecure("127.3.4.5"))
        #expect(settings.isInsecure("[::1]:5000"))
        #expect(!settings.isInsecure("192.0.2.1:5000"))
    }

    @Test func aMirrorMustBeAURL() {
        var settings = RegistrySettings()
        #expect(throws: BerthError.self) {
            try settings.apply(daemonJSON: Array(#"{"registry-mirrors": ["mirror.example"]}"#.utf8), path: "d")
        }
        #expect(throws: BerthError.self) {
            try settings.apply(daemonJSON: Array(#"{"insecure-registries": ["http://x:5000"]}"#.utf8), path: "d")
        }
    }

    @Test func dockerHubGoesToItsMirrorsFirst() throws {
        let settings = RegistrySettings(mirrors: ["https://mirror.example/base", "http://127.0.0.1:5001"])
        let hub = try Endpoint.candidates(for: "docker.io", settings: settings)
        #expect(
            hub.map(\.base) == ["https://mirror.example/base", "http://127.0.0.1:5001", "https://registry-1.docker.io"])
        #expect(hub.map(\.isMirror) == [true, true, false])
        let other = try Endpoint.candidates(for: "ghcr.io", settings: settings)
        #expect(other.map(\.base) == ["https://ghcr.io"], "mirrors are for Docker Hub only")
        let insecure = try Endpoint.candidates(for: "localhost:5000", settings: settings)
        #expect(insecure.map(\.base) == ["https://localhost:5000", "http://localhost:5000"], "https first, as docker")
    }

    @Test func proxyFromTheEnvironmentWithNoProxyExceptions() {
        let proxy = ProxySettings(environment: [
            "HTTPS_PROXY": "http://user:p%40ss@proxy.example:3128", "http_proxy": "proxy.example",
            "NO_PROXY": "internal.example, .corp.example,10.0.0.0/8,registry.lan:5000",
        ])
        #expect(proxy.https == .init(host: "proxy.example", port: 3128, username: "user", password: "p@ss"))
        #expect(proxy.http == .init(host: "proxy.example", port: 80, username: nil, password: nil))
        #expect(proxy.proxy(for: "ghcr.io", scheme: "https") != nil)
        #expect(proxy.proxy(for: "internal.example", scheme: "https") == nil)
        #expect(proxy.proxy(for: "a.internal.example:443", scheme: "https") == nil)
        #expect(proxy.proxy(for: "x.corp.example", scheme: "https") == nil)
        #expect(proxy.proxy(for: "10.2.3.4:5000", scheme: "https") == nil)
        #expect(proxy.proxy(for: "registry.lan:5000", scheme: "https") == nil)
        #expect(proxy.proxy(for: "127.0.0.1:5000", scheme: "http") == nil, "loopback is never proxied")
        #expect(
            ProxySettings(environment: ["NO_PROXY": "*", "HTTPS_PROXY": "p:1"]).proxy(for: "a", scheme: "https") == nil)
    }
}
