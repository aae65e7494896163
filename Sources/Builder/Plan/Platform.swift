/// An OCI platform (`linux/amd64`, `linux/arm64/v8`). Berth builds for the
/// machine it runs on only: `FROM --platform=` must name it, and the
/// automatic `TARGET*`/`BUILD*` ARGs describe it.
public struct Platform: Hashable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String

    public init(os: String, architecture: String, variant: String = "") {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// The machine Berth runs on.
    public static var host: Platform {
        #if arch(arm64)
        Platform(os: "linux", architecture: "arm64", variant: "v8")
        #elseif arch(arm)
        Platform(os: "linux", architecture: "arm", variant: "v7")
        #else
        Platform(os: "linux", architecture: "amd64")
        #endif
    }

    /// `os/arch[/variant]`.
    public var description: String {
        variant.isEmpty ? "\(os)/\(architecture)" : "\(os)/\(architecture)/\(variant)"
    }

    /// Reads `linux/amd64`, `linux/x86_64`, `amd64`, `linux`, `linux/arm64/v8`
    /// the way containerd normalizes them; nil when it is not a platform.
    public static func parse(_ text: String) -> Platform? {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts.contains("") else { return nil }
        let host = Platform.host
        var platform: Platform
        if parts.count == 1 {
            // One word is an OS when it is one, else an architecture of this OS.
            platform =
                ["linux", "windows", "darwin", "freebsd"].contains(parts[0])
                ? Platform(os: parts[0], architecture: host.architecture, variant: host.variant)
                : Platform(os: host.os, architecture: parts[0])
        } else {
            platform = Platform(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : "")
        }
        platform.normalize()
        return platform
    }

    /// Architecture aliases and default variants, as containerd's `Normalize`.
    private mutating func normalize() {
        switch architecture {
        case "x86_64", "x86-64", "amd64":
            architecture = "amd64"
            if variant == "v1" { variant = "" }
        case "aarch64", "arm64":
            architecture = "arm64"
            if variant == "" || variant == "8" { variant = "v8" }
        case "armhf":
            architecture = "arm"
            variant = "v7"
        case "armel":
            architecture = "arm"
            variant = "v6"
        case "arm":
            if variant == "" || variant == "7" { variant = "v7" }
            if variant == "5" || variant == "6" || variant == "8" { variant = "v" + variant }
        case "i386", "x86":
            architecture = "386"
        default:
            break
        }
    }

    /// The automatic ARGs of the global scope for a build on and for this
    /// platform, `TARGETSTAGE` naming `target`.
    func automaticArgs(target: String?) -> Variables {
        var args = Variables()
        for prefix in ["BUILD", "TARGET"] {
            args[prefix + "PLATFORM"] = description
            args[prefix + "OS"] = os
            args[prefix + "OSVERSION"] = ""
            args[prefix + "ARCH"] = architecture
            args[prefix + "VARIANT"] = variant
        }
        args["TARGETSTAGE"] = target ?? "default"
        return args
    }
}
