import BerthModel

extension LoadContext {
    /// The file with every service's `extends` resolved and removed.
    func resolveExtends(_ file: Node, filePath: String) throws(BerthError) -> Node {
        guard let services = file["services"]?.entries,
            services.contains(where: { $0.value["extends"] != nil })
        else { return file }
        var memo: [String: Node] = [:]
        var out = services
        for i in out.indices {
            out[i].value = try resolveService(
                services[i].key, services: services, filePath: filePath, stack: [], memo: &memo)
        }
        var file = file
        file["services"] = Node(.mapping(out), mark: file["services"]?.mark ?? .synthetic)
        return file
    }

    private struct ExtendsStep {
        var service: String
        var file: String
        var mark: Mark
    }

    private func resolveService(
        _ name: String, services: [Node.Entry], filePath: String, stack: [ExtendsStep], memo: inout [String: Node]
    ) throws(BerthError) -> Node {
        let memoKey = "\(filePath)#\(name)"
        if let done = memo[memoKey] { return done }
        guard let entry = services.first(where: { $0.key == name }) else { return .map([]) }
        guard let extends = entry.value["extends"] else { return entry.value }
        let target = extends["service"]?.scalarText ?? ""
        let targetFile = extends["file"]?.scalarText
        let chain = stack + [ExtendsStep(service: name, file: filePath, mark: extends.mark)]
        let targetKey = "\(targetFile ?? filePath)#\(target)"
        if targetKey == memoKey || extendsInProgress.contains(targetKey) {
            // Names carry their file only when the cycle crosses files.
            let steps = chain.map { ($0.service, $0.file) } + [(target, targetFile ?? filePath)]
            let crossesFiles = Set(steps.map(\.1)).count > 1
            func label(_ step: (String, String)) -> String {
                crossesFiles ? "\(step.0) (\(Paths.base(step.1)))" : step.0
            }
            let places = chain.compactMap { step in
                files.location(step.mark).map { "\(label((step.service, step.file))) at \($0)" }
            }
            throw BerthError(
                .cycle,
                "extends cycle: \(steps.map(label).joined(separator: " -> ")) (\(places.joined(separator: "; ")))",
                location: files.location(chain[0].mark), path: "services.\(chain[0].service).extends")
        }
        var base: Node
        var baseServices = services
        var baseFile = filePath
        if let targetFile, targetFile != filePath {
            guard FileSystem.kind(targetFile) == .file else {
                throw BerthError(
                    .invalidCompose, "service \"\(name)\" extends a service in \(targetFile), which does not exist",
                    location: files.location(extends["file"]?.mark ?? extends.mark),
                    path: "services.\(name).extends.file")
            }
            let other = try loadFile(targetFile, baseDirectory: Paths.directory(targetFile))
            baseServices = other["services"]?.entries ?? []
            baseFile = targetFile
        }
        guard baseServices.contains(where: { $0.key == target }) else {
            let whereText = baseFile == filePath ? "" : " in \(baseFile)"
            var message = "service \"\(name)\" extends \"\(target)\", which is not defined\(whereText)"
            if let close = Suggest.closest(to: target, in: baseServices.map(\.key)) {
                message += "; did you mean \"\(close)\"?"
            }
            throw BerthError(
                .invalidCompose, message, location: files.location(extends["service"]?.mark ?? extends.mark),
                path: "services.\(name).extends.service")
        }
        extendsInProgress.insert(memoKey)
        defer { extendsInProgress.remove(memoKey) }
        base = try resolveService(target, services: baseServices, filePath: baseFile, stack: chain, memo: &memo)
        var local = entry.value
        local["extends"] = nil
        base["extends"] = nil
        let merged = Merge.merge(base, local, path: ["services", name])
        memo[memoKey] = merged
        return merged
    }
}
