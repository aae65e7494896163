import BerthModel
import TestSupport
import Testing

@testable import ComposeLoader

/// A scratch directory holding a compose project, removed when the value
/// goes away. Used by the merge, extends, include, profiles, project-name,
/// discovery, YAML and graph suites.
final class LoaderScratch: Sendable {
    /// The project directory; `write` paths are relative to it.
    let root: String
    private let scratch: ScratchDirectory

    /// Makes `/tmp/berth-loader-XXXXXX/<directory>` (the project directory's
    /// name matters to the project name, so tests may choose it).
    init(directory: String = "proj") {
        scratch = loaderScratchDirectory(prefix: "berth-loader")
        root = scratch.path + "/" + directory
        makeDirectory(root)
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
        recordingFailure { try scratch.write(path(relative), bytes: bytes) } ?? path(relative)
    }

    /// Makes a directory at `relative`; returns the absolute path.
    @discardableResult
    func makeDirectory(_ relative: String) -> String {
        recordingFailure { try scratch.makeDirectory(path(relative)) } ?? path(relative)
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

/// A scratch directory for the loader's fixtures, whose hundred callers
/// expect no error: a machine that cannot make a directory under /tmp
/// cannot run them, and stops with the reason.
func loaderScratchDirectory(prefix: String) -> ScratchDirectory {
    do {
        return try ScratchDirectory(prefix: prefix)
    } catch {
        preconditionFailure("\(error)")
    }
}

/// `body`'s result, or nil after recording its error as the test's failure:
/// the fixtures' writes into their own scratch directory do not throw.
func recordingFailure<T>(
    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> T? {
    do {
        return try body()
    } catch {
        Issue.record("\(error)", sourceLocation: sourceLocation)
        return nil
    }
}
