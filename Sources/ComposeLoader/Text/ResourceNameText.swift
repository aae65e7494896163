import BerthModel

/// The loader's words for a name that breaks BerthModel's `ResourceName`
/// grammar (volumes and services), so every such error reads alike.
enum ResourceNameText {
    /// The grammar, as an error states it.
    static let grammar = "use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit"

    /// Why `name` is not a valid resource name, to follow the quoted name;
    /// nil when it is valid.
    static func problem(_ name: String) -> String? {
        switch ResourceName.problem(name) {
        case nil: return nil
        case .empty: return "is empty: a name is needed"
        case .characters: return "is not a valid name: " + grammar
        case .tooLong(let bytes): return "is too long: " + length(bytes)
        }
    }

    /// `300 bytes, at most 255`.
    static func length(_ bytes: Int) -> String {
        "\(bytes) bytes, at most \(ResourceName.maxBytes)"
    }
}
