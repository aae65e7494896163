import BerthModel
import Glibc

/// An OS and CPU an image is built for (`linux/amd64`, `linux/arm64/v8`),
/// in the OCI image-spec's field names.
///
/// Kept as written in the index; `normalized` spells it as containerd
/// compares it (`aarch64` is `arm64`, `arm64/v8` is `arm64`, `arm` is
/// `arm/v7`), and `PlatformMatcher` picks index entries by containerd's rules.
public struct Platform: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `os` in the image-spec: `linux`, `windows`, `unknown` (attestations).
    public var os: String
    /// `architecture`: `amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, …
    public var architecture: String
    /// `variant`: `v7` for arm, `v8` for arm64, `v2`/`v3` for amd64; often absent.
    public var variant: String?
    /// `os.version`, on Windows images only; never part of a Linux match.
    public var osVersion: String?

    enum CodingKeys: String, CodingKey {
        case os, architecture, variant
        case osVersion = "os.version"
    }

    /// A platform as given.
    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
    }

    /// Parses `os[/arch[/variant]]` or `arch` as `--platform` and compose's
    /// `platform:` take it (`linux/amd64`, `linux/arm64/v8`, `arm64`); a lone
    /// word that is no OS is an architecture on this host's OS.
    public init(parsing text: String) throws(BerthError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard (1...3).contains(parts.count), parts.allSatisfy({ Self.isWord($0) }) else {
            throw BerthError(
                .invalidArgument,
                "invalid platform \"\(text)\": want os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8")
        }
        let host = Platform.host
        switch parts.count {
        case 1 where Self.knownOS.contains(parts[0]):
            self.init(os: parts[0], architecture: host.architecture, variant: host.variant)
        case 1:
            self.init(os: host.os, architecture: parts[0])
        case 2:
            self.init(os: parts[0], architecture: parts[1])
        default:
            self.init(os: parts[0], architecture: parts[1], variant: parts[2])
        }
        guard Self.knownOS.contains(normalized.os) else {
            throw BerthError(.invalidArgument, "invalid platform \"\(text)\": unknown operating system \"\(os)\"")
        }
    }

    /// `os/arch[/variant]`.
    public var description: String {
        "\(os)/\(architecture)" + (variant.map { $0.isEmpty ? "" : "/" + $0 } ?? "")
    }

    /// The platform spelled as containerd compares it: lower case, the
    /// architecture's aliases resolved, the default variant made explicit
    /// for arm and dropped for arm64 and amd64.
    public var normalized: Platform {
        var architecture = architecture.lowercased()
        var variant = (variant ?? "").lowercased()
        switch architecture {
        case "i386":
            architecture = "386"
            variant = ""
        case "x86_64", "x86-64", "amd64":
            architecture = "amd64"
            if variant == "v1" { variant = "" }
        case "aarch64", "arm64":
            architecture = "arm64"
            if variant == "8" || variant == "v8" { variant = "" }
        case "armhf":
            architecture = "arm"
            variant = "v7"
        case "armel":
            architecture = "arm"
            variant = "v6"
        case "arm":
            if variant == "" || variant == "7" {
                variant = "v7"
            } else if ["5", "6", "8"].contains(variant) {
                variant = "v" + variant
            }
        default:
            break
        }
        var os = os.lowercased()
        if os == "macos" { os = "darwin" }
        return Platform(os: os, architecture: architecture, variant: variant.isEmpty ? nil : variant)
    }

    /// Whether `other` is this platform, both normalized (os.version ignored).
    func sameAs(_ other: Platform) -> Bool {
        let a = normalized
        let b = other.normalized
        return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant
    }

    /// The platform of this machine: Linux and the architecture `uname`
    /// names, with the variant containerd assumes (none on amd64 and arm64).
    public static let host: Platform = {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return Platform(os: "linux", architecture: machine).normalized
    }()

    private static func isWord(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5f || byte == 0x2d
                    || byte == 0x2e
            }
    }

    /// The operating systems Go (and so containerd) knows.
    static let knownOS: Set<String> = [
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl",
        "netbsd", "openbsd", "plan9", "solaris", "windows", "zos",
    ]
}

/// Which index entries a platform accepts, best first: containerd's
/// `platforms.Only`. The platform itself, then what it can also run:
/// amd64/vN runs vN-1 … v1 and 386; arm/vN runs arm/vN-1 … v5; arm64/v8.x
/// runs v8.(x-1) … v8 and arm/v8 … v5; arm64/v9.x also runs v9.(x-1) … v9
/// and v8.(x+5) ….
public struct PlatformMatcher: Sendable, CustomStringConvertible {
    /// The platform asked for.
    public let platform: Platform
    /// The platforms accepted, normalized, in order of preference.
    public let accepted: [Platform]

    /// The matcher for `platform`.
    public init(_ platform: Platform) {
        self.platform = platform
        self.accepted = Self.vector(platform.normalized)
    }

    /// Whether an entry of `candidate` may be used.
    public func matches(_ candidate: Platform) -> Bool { rank(candidate) != nil }

    /// The place of `candidate` in the order of preference (0 is best), or nil.
    public func rank(_ candidate: Platform) -> Int? {
        accepted.firstIndex { $0.sameAs(candidate) }
    }

    /// The platform asked for, as written.
    public var description: String { platform.description }

    private static func vector(_ platform: Platform) -> [Platform] {
        var vector = [platform]
        func with(_ architecture: String, _ variant: String?) -> Platform {
            Platform(os: platform.os, architecture: architecture, variant: variant)
        }
        let variant = platform.variant ?? ""
        switch platform.architecture {
        case "amd64":
            if let level = Int(variant.dropFirst()), variant.hasPrefix("v"), level > 1 {
                vector += (1..<level).reversed().map { with("amd64", $0 == 1 ? nil : "v\($0)") }
            }
            vector.append(with("386", nil))
        case "arm":
            if let level = Int(variant.dropFirst()), variant.hasPrefix("v"), level > 5 {
                vector += (5..<level).reversed().map { with("arm", "v\($0)") }
            }
        case "arm64":
            vector += arm64Vector(platform, variant: variant.isEmpty ? "v8" : variant)
        default:
            break
        }
        return vector
    }

    /// What an arm64 machine of `variant` (`v8`, `v8.2`, `v9.1`) also runs.
    private static func arm64Vector(_ platform: Platform, variant: String) -> [Platform] {
        func arm64(_ major: Int, _ minor: Int) -> Platform {
            Platform(os: platform.os, architecture: "arm64", variant: minor == 0 ? "v\(major)" : "v\(major).\(minor)")
                .normalized
        }
        var out: [Platform] = []
        let pieces = variant.dropFirst().split(separator: ".", maxSplits: 1)
        if variant.hasPrefix("v"), let first = pieces.first, var major = Int(first), major >= 8 {
            var minor = pieces.count == 2 ? Int(pieces[1]) ?? 0 : 0
            if major == 9 {
                out += (0..<minor).reversed().map { arm64(9, $0) }
                // v9.0 diverged from v8.5: v9.x runs what v8.(x+5) runs.
                minor += 5
                major = 8
                out.append(arm64(8, minor))
            }
            out += (0..<minor).reversed().map { arm64(major, $0) }
        }
        let armVariant = variant.hasPrefix("v8.") || variant.hasPrefix("v9.") ? "v8" : variant
        let arm = Platform(os: platform.os, architecture: "arm", variant: armVariant).normalized
        return out + vector(arm)
    }
}
