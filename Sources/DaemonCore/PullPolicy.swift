import BerthModel
import Foundation

/// When a service's image is pulled, as docker compose decides it: the
/// `up --pull` override or the service's `pull_policy`, the image's
/// presence, whether the service builds, and when the image was last pulled.
/// Pure, so the table is tested without a registry.
public enum PullPolicy: Sendable, Hashable {
    case always, never, missing, build
    /// `daily`, `weekly`, `every_<duration>`: missing, or pulled longer ago than this many seconds.
    case refresh(seconds: Double)

    /// Reads a policy as compose spells it (`if_not_present` is `missing`).
    public init(parsing text: String, service: String? = nil) throws(BerthError) {
        switch text {
        case "always": self = .always
        case "never": self = .never
        case "missing", "if_not_present": self = .missing
        case "build": self = .build
        case "daily": self = .refresh(seconds: 86_400)
        case "weekly": self = .refresh(seconds: 7 * 86_400)
        default:
            guard text.hasPrefix("every_"), let seconds = Self.seconds(String(text.dropFirst(6))), seconds > 0 else {
                let whose = service.map { "service \"\($0)\": " } ?? ""
                throw BerthError(
                    .usage,
                    "\(whose)unknown pull policy \"\(text)\" (always, never, missing, if_not_present, build, daily, "
                        + "weekly, every_<duration>)")
            }
            self = .refresh(seconds: seconds)
        }
    }

    /// Whether to pull: `present` says the store has the image; `builds`
    /// that the service has a `build:` section (the builder makes a missing
    /// image then, unless the policy is `always`); `lastPulled` and `now`
    /// are seconds since the epoch.
    public func shouldPull(present: Bool, builds: Bool, lastPulled: Double?, now: Double) -> Bool {
        switch self {
        case .always: return true
        case .never, .build: return false
        case .missing: return !present && !builds
        case .refresh(let seconds):
            if !present { return !builds }
            guard let lastPulled else { return true }
            return now - lastPulled >= seconds
        }
    }

    /// A Go-style duration (`12h`, `1h30m`, `90s`, `2d`, `1w`) in seconds; nil if it is not one.
    static func seconds(_ text: String) -> Double? {
        let units: [String: Double] = ["w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1, "ms": 0.001]
        var total = 0.0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number), let scale = units[String(unit)] else { return nil }
            total += value * scale
        }
        return total
    }
}

/// When each image was last pulled (seconds since the epoch), for the
/// `daily`/`weekly`/`every_` policies: `<root>/image-pulls.json`.
struct PullHistory: Sendable {
    let path: String

    func load() -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONDecoder().decode([String: Double].self, from: data)) ?? [:]
    }

    func record(_ references: [String], at time: Double) {
        guard !references.isEmpty else { return }
        var table = load()
        for reference in references { table[reference] = time }
        guard let data = try? JSONEncoder().encode(table) else { return }
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
