import BerthModel

/// The `--name=value` flags of one instruction, checked against the flags it
/// accepts: an unknown flag (with a "did you mean"), a repeated one (except
/// those that may repeat, like `--mount`), a missing value and a boolean
/// that is not one are errors.
struct FlagSet {
    enum Kind {
        /// `--link`, `--link=true`, `--link=false`.
        case bool
        /// `--from=x`, once.
        case string
        /// `--mount=x`, any number of times.
        case strings
    }

    private var values: [String: [String]] = [:]

    init(
        _ words: [String], accepted: [String: Kind], location: DockerfileLocation, keyword: String
    ) throws(BerthError) {
        for word in words {
            guard word.hasPrefix("--") else {
                throw .dockerfile(location, keyword, "\(word) is not a flag (flags begin with --)")
            }
            let (name, value) = Self.split(String(word.dropFirst(2)))
            guard let kind = accepted[name] else {
                var message = "unknown flag --\(name)"
                if let close = Suggest.closest(to: name, in: accepted.keys.sorted()) {
                    message += "; did you mean --\(close)?"
                }
                throw .dockerfile(location, keyword, message)
            }
            if kind != .strings, values[name] != nil {
                throw .dockerfile(location, keyword, "--\(name) is given twice")
            }
            values[name, default: []].append(try Self.value(value, of: name, kind: kind, location, keyword))
        }
    }

    /// The flag's value, nil when it was not given.
    func string(_ name: String) -> String? { values[name]?.last }

    /// Every value of a repeatable flag, in order.
    func strings(_ name: String) -> [String] { values[name] ?? [] }

    /// A boolean flag's value, nil when it was not given.
    func bool(_ name: String) -> Bool? { values[name]?.last.map { $0 == "true" } }

    private static func split(_ word: String) -> (String, String?) {
        guard let equals = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }

    private static func value(
        _ value: String?, of name: String, kind: Kind, _ location: DockerfileLocation, _ keyword: String
    ) throws(BerthError) -> String {
        switch kind {
        case .bool:
            switch value?.lowercased() {
            case nil, "true": return "true"
            case "false": return "false"
            case "": throw .dockerfile(location, keyword, "--\(name)= needs a value (true or false)")
            default: throw .dockerfile(location, keyword, "--\(name) takes true or false, not \(value ?? "")")
            }
        case .string, .strings:
            guard let value else { throw .dockerfile(location, keyword, "--\(name) needs a value (--\(name)=…)") }
            return value
        }
    }
}
