/// Variables in scope at one point of a Dockerfile: the ENVs and ARGs an
/// expansion reads, and the environment a `RUN` step gets, in the order they
/// were set.
///
/// Setting a name that is already there replaces its value in place, as
/// docker's image config does with `ENV`: the order is that of first
/// appearance. Names are case-sensitive (Linux).
public struct Variables: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    /// One `NAME=value`.
    public struct Variable: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The variables, in order of first appearance.
    public private(set) var entries: [Variable] = []
    private var index: [String: Int] = [:]

    /// No variables.
    public init() {}

    /// The variables of `KEY=value` strings (an image config's `Env`); a string
    /// without `=` is a name with an empty value.
    public init(environment: [String]) {
        for item in environment {
            let (name, value) = Self.split(item)
            self[name] = value
        }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { self[name] = value }
    }

    /// The value of `name`, nil when it is not set; setting nil removes it.
    public subscript(name: String) -> String? {
        get { index[name].map { entries[$0].value } }
        set {
            if let value = newValue {
                if let at = index[name] {
                    entries[at].value = value
                } else {
                    index[name] = entries.count
                    entries.append(Variable(name: name, value: value))
                }
            } else if let at = index.removeValue(forKey: name) {
                entries.remove(at: at)
                for (offset, entry) in entries.enumerated().dropFirst(at) { index[entry.name] = offset }
            }
        }
    }

    /// The names, in order.
    public var names: [String] { entries.map(\.name) }

    /// `KEY=value` strings, in order: an image config's `Env`.
    public var environment: [String] { entries.map { "\($0.name)=\($0.value)" } }

    /// These variables with `other`'s set over them.
    public func merging(_ other: Variables) -> Variables {
        var merged = self
        for entry in other.entries { merged[entry.name] = entry.value }
        return merged
    }

    /// `KEY=value` split at the first `=`.
    static func split(_ item: String) -> (String, String) {
        guard let equals = item.firstIndex(of: "=") else { return (item, "") }
        return (String(item[..<equals]), String(item[item.index(after: equals)...]))
    }
}
