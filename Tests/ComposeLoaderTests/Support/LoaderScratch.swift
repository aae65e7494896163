import BerthModel
import Foundation
import Testing

@testable import ComposeLoader

/// A temporary directory holding a compose project, removed when the value
/// goes away. Used by the merge, extends, include, profiles, project-name,
/// discovery, YAML and graph suites.
final class LoaderScratch: @unchecked Sendable {
    /// The temporary directory; `write` paths are relative to it.
    let root: String

    /// Makes `/tmp/berth-loader-XXXXXX/<directory>` (the project directory's
    /// name matters to the project name, so tests may choose it).
    init(directory: String = "proj") {
        var template = Array("\(NSTemporaryDirectory())berth-loader-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        let base = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.base = base
        root = "\(base)/\(directory)"
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    private let base: String

    deinit {
        try? FileManager.default.removeItem(atPath: base)
    }

    /// The absolute path of `relative` inside the project.
    func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : "\(root)/\(relative)"
    }

    /// Writes `text` at `relative` (directories made as needed); returns the absolute path.
    @discardableResult
    func write(_ relative: String, _ text: String) -> String {
        writeBytes(relative, Array(text.utf8))
    }

    /// Writes raw bytes at `relative`; returns the absolute path.
    @discardableResult
    func writeBytes(_ relative: String, _ bytes: [UInt8]) -> String {
        let full = path(relative)
        let directory = (full as NSString).deletingLastPathComponent
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let written = FileManager.default.createFile(atPath: full, contents: Data(bytes))
        precondition(written, "cannot write \(full)")
        return full
    }

    /// Makes a directory at `relative`; returns the absolute path.
    @discardableResult
    func makeDirectory(_ relative: String) -> String {
        let full = path(relative)
        try! FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// Options for this project: `files` as `-f`, run from `workingDirectory`
    /// (default: the project root) with exactly `environment` as the shell's.
    func options(
        _ files: [String] = [], environment: [String: String] = [:], workingDirectory: String? = nil,
        stdin: [UInt8] = []
    ) -> LoadOptions {
        var options = LoadOptions(
            workingDirectory: workingDirectory.map(path) ?? root, environment: environment,
            standardInput: { stdin })
        options.files = files
        return options
    }

    /// Loads with `options(files, environment)` changed by `configure`.
    func load(
        _ files: [String] = [], environment: [String: String] = [:], configure: (inout LoadOptions) -> Void = { _ in }
    ) throws(BerthError) -> LoadedProject {
        var options = options(files, environment: environment)
        configure(&options)
        return try ComposeLoader(options: options).load()
    }

    /// The error a load throws, or nil (recording an issue) when it succeeds.
    func loadError(
        _ files: [String] = [], environment: [String: String] = [:], configure: (inout LoadOptions) -> Void = { _ in },
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) -> BerthError? {
        do {
            _ = try load(files, environment: environment, configure: configure)
            Issue.record("the load succeeded; an error was expected", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}

extension LoadedProject {
    /// One service's canonical form as `berth config` prints it.
    func serviceYAML(_ name: String) -> String {
        guard let node = canonical["services"]?[name] else { return "<no service \(name)>\n" }
        return Emitter.yaml(node)
    }

    /// The names of the services, sorted.
    var serviceNames: [String] { project.serviceNames }
}

/// Runs `body` and returns the `BerthError` it throws; records an issue when
/// it does not throw or throws something else.
func expectBerthError(
    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> BerthError? {
    do {
        try body()
        Issue.record("no error was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as BerthError {
        return error
    } catch {
        Issue.record("not a BerthError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
