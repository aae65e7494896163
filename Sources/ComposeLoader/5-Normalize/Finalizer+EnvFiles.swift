import BerthModel

extension Finalizer {
    /// Adds the variables of a service's `env_file`s to its environment;
    /// explicit `environment` entries win. A later file's value wins over an
    /// earlier one's, and a file's `${VAR}` sees the files before it.
    mutating func addEnvFiles(
        _ service: inout Node, _ fields: ServiceFields, _ mark: Mark, _ base: @autoclosure () -> String
    ) {
        guard let envFiles = fields.envFile?.items, !envFiles.isEmpty else { return }
        var fromFiles: [Node.Entry] = []
        for (j, entry) in envFiles.enumerated() {
            guard let path = entry["path"]?.scalarText else { continue }
            let required = entry["required"]?.scalarText != "false"
            guard FileSystem.kind(path) == .file else {
                if required { fail(entry.mark, "\(base()).env_file[\(j)]", "env file \(path) not found") }
                continue
            }
            do {
                let pairs = try DotEnv.read(path) { key in
                    fromFiles.last(where: { $0.key == key })?.value.scalarText ?? environment(key)
                }
                for (key, value) in pairs {
                    fromFiles.removeAll { $0.key == key }
                    fromFiles.append(.init(key: key, keyMark: entry.mark, value: .string(value, entry.mark)))
                }
            } catch {
                // A syntax error inside the file also names the service that uses it.
                var error = error
                if error.code == .invalidCompose { error.path = "\(base()).env_file[\(j)]" }
                errors.append(error)
            }
        }
        let explicit = fields.environment?.entries ?? []
        let merged = fromFiles.filter { f in !explicit.contains { $0.key == f.key } } + explicit
        service["environment"] = Node(.mapping(merged), mark: fields.environment?.mark ?? mark)
    }
}
