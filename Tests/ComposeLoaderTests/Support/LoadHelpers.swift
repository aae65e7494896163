import BerthModel
import ComposeLoader
import Foundation
import TestSupport
import Testing

/// A fresh scratch directory holding one compose file (and whatever other
/// files a test needs), removed when the sandbox goes away.
///
/// Loads run with a controlled environment (no variables of the process
/// leak in) and an explicit project name, so canonical output is stable.
final class YAMLSandbox {
    /// The directory, absolute, without a trailing slash.
    var directory: String { scratch.path }
    private let scratch = loaderScratchDirectory(prefix: "berth-attr")

    /// The environment a load sees unless a test passes its own.
    static let defaultEnvironment = ["HOME": "/home/tester"]

    /// The directory above `path`.
    static func parent(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }

    /// Writes `content` to `name` (relative to the sandbox) and returns the absolute path.
    @discardableResult
    func write(_ name: String, _ content: String) -> String {
        recordingFailure { try scratch.write(name, content) } ?? scratch.path(name)
    }

    /// Writes `yaml` as `compose.yaml` and loads it.
    func load(
        _ yaml: String, environment: [String: String] = YAMLSandbox.defaultEnvironment, projectName: String = "test"
    ) throws(BerthError) -> LoadedProject {
        let path = write("compose.yaml", yaml)
        var options = LoadOptions(workingDirectory: directory, environment: environment)
        options.files = [path]
        options.projectName = projectName
        return try ComposeLoader(options: options).load()
    }

    /// The error a load of `yaml` fails with, printed as `berth` prints it, with
    /// the sandbox directory cut from paths (`compose.yaml:3:9: …`).
    /// Records an issue when the load succeeds.
    func error(
        _ yaml: String, environment: [String: String] = YAMLSandbox.defaultEnvironment,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) -> String {
        do {
            _ = try load(yaml, environment: environment)
            Issue.record("expected the load to fail", sourceLocation: sourceLocation)
            return ""
        } catch {
            return error.description.replacingOccurrences(of: "\(directory)/", with: "")
        }
    }

    /// The canonical YAML of one service, as `berth config` prints it.
    func serviceYAML(
        _ yaml: String, service: String = "web", environment: [String: String] = YAMLSandbox.defaultEnvironment
    ) throws(BerthError) -> String {
        let loaded = try load(yaml, environment: environment)
        return Emitter.yaml(loaded.canonical["services"]?[service] ?? .null())
    }
}

/// Loads `yaml` in a fresh sandbox.
func loadYAML(_ yaml: String, environment: [String: String] = YAMLSandbox.defaultEnvironment) throws(BerthError)
    -> LoadedProject
{
    try YAMLSandbox().load(yaml, environment: environment)
}

/// The error a load of `yaml` fails with (see `YAMLSandbox.error`).
func loadYAMLError(
    _ yaml: String, environment: [String: String] = YAMLSandbox.defaultEnvironment,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> String {
    YAMLSandbox().error(yaml, environment: environment, sourceLocation: sourceLocation)
}

/// The canonical YAML of one service of `yaml`, loaded in a fresh sandbox.
func serviceYAML(
    _ yaml: String, service: String = "web", environment: [String: String] = YAMLSandbox.defaultEnvironment
) throws(BerthError) -> String {
    try YAMLSandbox().serviceYAML(yaml, service: service, environment: environment)
}

/// The canonical YAML of one section of one service (`ports`, `volumes`, …),
/// the key itself left out, so small snippets compare as whole strings.
func fieldYAML(
    _ yaml: String, _ field: String, service: String = "web",
    environment: [String: String] = YAMLSandbox.defaultEnvironment
) throws(BerthError) -> String {
    let loaded = try YAMLSandbox().load(yaml, environment: environment)
    return Emitter.yaml(loaded.canonical["services"]?[service]?[field] ?? .null())
}

/// The typed service `name` of a loaded project (a test failure when missing).
func typedService(_ loaded: LoadedProject, _ name: String = "web") throws -> Service {
    try #require(loaded.project.services[name])
}

/// Loads `yaml`, prints its canonical form, loads that again and checks the
/// second print is the same: `berth config` output, YAML or JSON, must read
/// back unchanged. Also checks the typed services come out the same.
func expectRoundTrip(
    _ yaml: String, environment: [String: String] = YAMLSandbox.defaultEnvironment,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
    let sandbox = YAMLSandbox()
    let loaded = try sandbox.load(yaml, environment: environment)
    let first = Emitter.yaml(loaded.canonical, escapeDollars: true)
    let fromYAML = try sandbox.load(first, environment: environment)
    #expect(
        first == Emitter.yaml(fromYAML.canonical, escapeDollars: true), "canonical YAML changed when read back",
        sourceLocation: sourceLocation)
    #expect(
        loaded.project.services == fromYAML.project.services, "typed services changed when read back",
        sourceLocation: sourceLocation)
    let fromJSON = try sandbox.load(Emitter.json(loaded.canonical, escapeDollars: true), environment: environment)
    #expect(
        first == Emitter.yaml(fromJSON.canonical, escapeDollars: true), "canonical JSON read back differs",
        sourceLocation: sourceLocation)
}
