/// Restart policies: `no`, `always`, `on-failure[:N]`, `unless-stopped`.
enum RestartText {
    static func isValid(_ text: String) -> Bool {
        switch text {
        case "no", "always", "unless-stopped", "on-failure": return true
        default:
            guard text.hasPrefix("on-failure:"), let n = Int(text.dropFirst("on-failure:".count)) else { return false }
            return n >= 0
        }
    }
}
