import BerthKube
import BerthModel
import ComposeLoader
import Foundation
import Testing

/// Loads inline compose YAML as `berth kube generate` does (project name
/// `demo`, from a fresh directory that holds the extra files given) and
/// generates its manifests.
enum KubeFixture {
    struct Result {
        var yaml: String
        var warnings: [String]
        var objects: [KubeObject]
        /// The directory the compose file was loaded from (gone by the time the result is read).
        var directory = ""
    }

    static func generate(
        _ compose: String, files: [String: String] = [:], environment: [String: String] = [:],
        options: KubeOptions = KubeOptions(), services: [String] = []
    ) throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("berth-kube-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try compose.write(toFile: "\(directory)/compose.yaml", atomically: true, encoding: .utf8)
        for (name, content) in files {
            try content.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
        var load = LoadOptions(workingDirectory: directory, environment: environment, standardInput: { [] })
        load.files = ["\(directory)/compose.yaml"]
        load.projectName = "demo"
        load.services = services
        let loaded = try ComposeLoader(options: load).load()
        var result = try generate(loaded, environment: environment, options: options, services: services)
        result.directory = directory
        // Every rule test's manifests are also checked against the API's types.
        KubeValidator.expectValid(result.objects)
        return result
    }

    /// The manifests of an already loaded project, with the input the CLI builds.
    static func generate(
        _ loaded: LoadedProject, environment: [String: String] = [:], options: KubeOptions = KubeOptions(),
        services: [String] = [], image: ((Service) -> String)? = nil
    ) throws -> Result {
        var input = KubeInput(
            project: loaded.project, attributes: loaded.serviceAttributes,
            serviceSettings: loaded.extensionScalars("services", at: ["x-berth", "kube"]),
            volumeSettings: loaded.extensionScalars("volumes", at: ["x-berth", "kube"]), environment: environment)
        input.cpuReservations = loaded.extensionScalars("services", at: ["deploy", "resources", "reservations"])
            .compactMapValues { $0["cpus"].flatMap(Double.init) }
        if let image {
            for (name, service) in input.project.services where service.image == nil {
                input.project.services[name]?.image = image(service)
            }
        }
        let output = try KubeGenerator.generate(input, options: options, services: services)
        return Result(yaml: KubeEmitter.yaml(output.objects), warnings: output.warnings, objects: output.objects)
    }

    /// The YAML of the objects of one kind and name.
    static func object(_ result: Result, _ kind: String, _ name: String) -> String? {
        result.objects.first { $0.kind == kind && $0.name == name }.map { KubeEmitter.yaml($0.value) }
    }
}
