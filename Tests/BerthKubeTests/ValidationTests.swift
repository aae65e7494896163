import BerthKube
import BerthModel
import ComposeLoader
import Foundation
import Testing

/// Every example and every corpus file converts, and every object it gives
/// is accepted by the official Python client's typed models
/// (`Validator/validate.py`: unknown fields, wrong types, missing required
/// fields, names and labels the API server would refuse).
@Suite("Kube validation")
struct KubeValidationTests {
    /// The repository root, four levels above this file.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.standardizedFileURL.path
    }()

    /// Compose files by docker compose's default names under `directory`; in
    /// each directory only the one docker compose would pick.
    static func composeFiles(under directory: String) -> [String] {
        let names = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var byDirectory: [String: String] = [:]
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard let rank = names.firstIndex(of: name) else { continue }
            let folder = (relative as NSString).deletingLastPathComponent
            if let existing = byDirectory[folder],
                names.firstIndex(of: (existing as NSString).lastPathComponent) ?? 9 <= rank
            {
                continue
            }
            byDirectory[folder] = "\(directory)/\(relative)"
        }
        return byDirectory.values.sorted()
    }

    static let files: [String] =
        composeFiles(under: "\(root)/examples")
        + composeFiles(under: URL(fileURLWithPath: "\(root)/../shared/corpus").standardizedFileURL.path)

    @Test("the corpus and the examples are all there")
    func found() {
        #expect(Self.files.count >= 20, "found \(Self.files)")
    }

    @Test("every example and corpus file generates objects the Kubernetes client accepts", arguments: files)
    func validates(file: String) throws {
        var options = LoadOptions(
            workingDirectory: (file as NSString).deletingLastPathComponent, environment: [:], standardInput: { [] })
        options.files = [file]
        let loaded = try ComposeLoader(options: options).load()
        // Services that are only built cannot go to a cluster as they are (the
        // generator says so; see KubeErrorTests): give them the image name a
        // user would push, so the rest of the file is converted and checked.
        let result = try KubeFixture.generate(
            loaded, image: { "registry.example/\(loaded.name.rawValue)-\($0.name):1" })
        #expect(!result.objects.isEmpty)
        let json = KubeEmitter.json(result.objects)
        let (passed, report) = try KubeValidator.validate(json)
        #expect(passed, "\(file):\n\(report)")
        // Same input, same bytes.
        #expect(
            try KubeFixture.generate(loaded, image: { "registry.example/\(loaded.name.rawValue)-\($0.name):1" }).yaml
                == result.yaml)
    }

    @Test(
        "with --stateful, --publish-as, --namespace and --allow-hostpath, every file still validates", arguments: files)
    func validatesWithOptions(file: String) throws {
        var load = LoadOptions(
            workingDirectory: (file as NSString).deletingLastPathComponent, environment: [:], standardInput: { [] })
        load.files = [file]
        let loaded = try ComposeLoader(options: load).load()
        var options = KubeOptions()
        options.stateful = true
        options.publishAs = .nodePort
        options.namespace = "moved"
        options.allowHostPath = true
        let result = try KubeFixture.generate(
            loaded, options: options, image: { "registry.example/\(loaded.name.rawValue)-\($0.name):1" })
        let (passed, report) = try KubeValidator.validate(KubeEmitter.json(result.objects))
        #expect(passed, "\(file):\n\(report)")
    }

    @Test("the validator refuses unknown fields, wrong types and missing required fields")
    func validatorRefuses() throws {
        let bad = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
                 "spec": {"containers": [{"name": "web", "image": "x", "bogus": 1, "ports": [{"containerPort": "80"}]}]}}}},
              {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"targetPort": 80}]}}
            ]}
            """
        let (passed, report) = try KubeValidator.validate(bad)
        #expect(!passed)
        #expect(report.contains("Deployment/web: spec.template.spec.containers[0].bogus: unknown field of V1Container"))
        #expect(
            report.contains("Deployment/web: spec.template.spec.containers[0].ports[0].containerPort: expected int"))
        #expect(report.contains("Service/web: deserialize as V1Service: Invalid value for `port`, must not be `None`"))
    }
}
