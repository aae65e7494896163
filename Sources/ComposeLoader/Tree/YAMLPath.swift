/// A path into the model, built only when an error needs to print it.
struct YAMLPath {
    enum Part { case key(String), index(Int) }
    var parts: [Part] = []

    /// `services.web.ports[0]`.
    var text: String {
        var out = ""
        for part in parts {
            switch part {
            case .key(let key): out += out.isEmpty ? key : ".\(key)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

extension YAMLPath {
    /// The path of the first scalar marked `mark` under `root`: errors are
    /// rare, so the walk that finds them does not track paths as it goes.
    static func find(_ mark: Mark, in root: Node) -> String? {
        var path = YAMLPath()
        func search(_ node: Node) -> Bool {
            switch node.value {
            case .scalar: return node.mark == mark
            case .sequence(let items):
                for (i, item) in items.enumerated() {
                    path.parts.append(.index(i))
                    if search(item) { return true }
                    path.parts.removeLast()
                }
            case .mapping(let entries):
                for entry in entries {
                    path.parts.append(.key(entry.key))
                    if search(entry.value) { return true }
                    path.parts.removeLast()
                }
            }
            return false
        }
        return search(root) ? path.text : nil
    }
}
