import BerthModel
import Testing

@testable import Registry

/// Platforms as `--platform` spells them, and containerd's matching rules.
@Suite struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/arm/6", "linux/arm/v6"),
        ("LINUX/AMD64/V3", "linux/amd64/v3"),
        ("linux/i386", "linux/386"),
    ])
    func parsesAndNormalizes(_ text: String, _ normal: String) throws {
        #expect(try Platform(parsing: text).normalized.description == normal)
    }

    @Test func aLoneWordIsAnArchitectureOrAnOS() throws {
        #expect(try Platform(parsing: "arm64").description == "linux/arm64")
        #expect(try Platform(parsing: "linux").os == "linux")
    }

    @Test(arguments: ["", "linux/", "linux/amd64/v2/x", "plan10/amd64", "linux/am d64"])
    func refusesWhatIsNoPlatform(_ text: String) {
        #expect(throws: BerthError.self) { try Platform(parsing: text) }
    }

    /// Asked for → what it runs, best first (containerd's platforms.Only).
    @Test(arguments: [
        ("linux/amd64", ["linux/amd64", "linux/386"]),
        ("linux/amd64/v3", ["linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"]),
        ("linux/arm/v7", ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]),
        ("linux/arm64", ["linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]),
        (
            "linux/arm64/v8.2",
            [
                "linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6",
                "linux/arm/v5",
            ]
        ),
        (
            "linux/arm64/v9.1",
            [
                "linux/arm64/v9.1", "linux/arm64/v9", "linux/arm64/v8.6", "linux/arm64/v8.5", "linux/arm64/v8.4",
                "linux/arm64/v8.3", "linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64", "linux/arm/v8",
                "linux/arm/v7",
                "linux/arm/v6", "linux/arm/v5",
            ]
        ),
    ])
    func acceptsWhatContainerdAccepts(_ asked: String, _ accepted: [String]) throws {
        let matcher = PlatformMatcher(try Platform(parsing: asked))
        #expect(matcher.accepted.map(\.description) == accepted)
    }

    @Test func variantsOfTheIndexAreComparedNormalized() throws {
        let arm64 = PlatformMatcher(try Platform(parsing: "linux/arm64/v8"))
        #expect(arm64.matches(Platform(os: "linux", architecture: "arm64")))
        #expect(arm64.matches(Platform(os: "linux", architecture: "aarch64", variant: "8")))
        #expect(!arm64.matches(Platform(os: "linux", architecture: "amd64")))
        let amd64 = PlatformMatcher(Platform(os: "linux", architecture: "amd64"))
        #expect(amd64.matches(Platform(os: "linux", architecture: "amd64", variant: "v1")))
        #expect(!amd64.matches(Platform(os: "linux", architecture: "amd64", variant: "v2")), "v2 needs a newer CPU")
        #expect(!amd64.matches(Platform(os: "windows", architecture: "amd64")))
    }

    @Test func theHostIsLinux() {
        #expect(Platform.host.os == "linux")
        #expect(!Platform.host.architecture.isEmpty)
    }
}
