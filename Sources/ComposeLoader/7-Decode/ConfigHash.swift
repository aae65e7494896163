import Crypto

/// A service's config hash: sha256 of its canonical JSON without the fields
/// that do not change the running container. Left out: `build` (the image
/// it makes is hashed through `image`), `pull_policy`, `scale`,
/// `deploy.replicas`, `depends_on`, `profiles`, and every `x-` field.
enum ConfigHash {
    static let excluded: Set<String> = ["build", "pull_policy", "scale", "depends_on", "profiles"]

    static func of(_ service: Node) -> String {
        var entries = (service.entries ?? []).filter { !excluded.contains($0.key) && !$0.key.hasPrefix("x-") }
        if let i = entries.firstIndex(where: { $0.key == "deploy" }) {
            entries[i].value["replicas"] = nil
            if entries[i].value.entries?.isEmpty == true { entries.remove(at: i) }
        }
        let digest = SHA256.hash(data: Emitter.jsonBytes(Node(.mapping(entries)), indented: false))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
