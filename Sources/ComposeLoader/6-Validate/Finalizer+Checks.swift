import BerthModel

extension Finalizer {
    /// A service's name is one the host can use, and it says what to run.
    mutating func checkDefinition(
        _ serviceName: String, _ fields: ServiceFields, _ mark: Mark, _ base: @autoclosure () -> String
    ) {
        if let problem = ResourceName.problem(serviceName) {
            var why = ResourceNameText.grammar
            if case .tooLong(let bytes) = problem { why = ResourceNameText.length(bytes) }
            fail(mark, base(), "\"\(serviceName)\" is not a valid service name: \(why)")
        }
        if fields.image == nil && fields.build == nil && fields.provider == nil {
            fail(mark, base(), "service \"\(serviceName)\" has neither an image nor a build context")
        }
    }

    /// Named volumes, secrets and configs a service uses must be declared.
    mutating func checkDeclared(_ fields: ServiceFields, _ scope: ProjectScope, _ base: @autoclosure () -> String) {
        for (j, volume) in (fields.volumes?.items ?? []).enumerated() where volume["type"]?.scalarText == "volume" {
            guard let source = volume["source"]?.scalarText else { continue }
            if !scope.volumes.contains(where: { $0.key == source }) {
                fail(volume.mark, "\(base()).volumes[\(j)]", undefined("volume", source, scope.volumes.map(\.key)))
            }
        }
        checkFileReferences("secrets", scope.secrets, fields.secrets, base())
        checkFileReferences("configs", scope.configs, fields.configs, base())
        checkFileReferences("secrets", scope.secrets, fields.build?["secrets"], "\(base()).build")
    }

    /// Each `source` in a service's `secrets` or `configs` list is declared.
    private mutating func checkFileReferences(
        _ key: String, _ declared: [Node.Entry], _ list: Node?, _ base: @autoclosure () -> String
    ) {
        for (j, ref) in (list?.items ?? []).enumerated() {
            guard let source = ref["source"]?.scalarText else { continue }
            if !declared.contains(where: { $0.key == source }) {
                fail(ref.mark, "\(base()).\(key)[\(j)]", undefined(String(key.dropLast()), source, declared.map(\.key)))
            }
        }
    }

    /// A fixed container name allows one replica only.
    mutating func checkContainerName(_ fields: ServiceFields, _ base: @autoclosure () -> String) {
        if let containerName = fields.containerName, replicas(fields) > 1 {
            fail(
                containerName.mark, "\(base()).container_name",
                "container_name \"\(containerName.scalarText ?? "")\" cannot be used with more than one replica")
        }
    }

    private func replicas(_ fields: ServiceFields) -> Int {
        if let r = fields.deploy?["replicas"]?.scalarText, let n = Int(r) { return n }
        if let s = fields.scale?.scalarText, let n = Int(s) { return n }
        return 1
    }

    /// `<kind> "<name>" is not defined`, with the closest known name when one is close.
    func undefined(_ kind: String, _ name: String, _ known: [String]) -> String {
        var message = "\(kind) \"\(name)\" is not defined"
        if let close = Suggest.closest(to: name, in: known) { message += "; did you mean \"\(close)\"?" }
        return message
    }
}
