import BerthModel
import Foundation

@testable import ComposeLoader

/// The real-world compose files under `../shared/corpus` and the projects
/// under `examples/`, found from this file's place in the repository.
enum CorpusFiles {
    /// The repository root: three levels above `Tests/ComposeLoaderTests/Support/CorpusFiles.swift`
    /// is `Tests/`, so four.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.standardizedFileURL.path
    }()

    /// `../shared/corpus` next to the repository.
    static let corpusDirectory: String = URL(fileURLWithPath: repositoryRoot)
        .appendingPathComponent("../shared/corpus").standardizedFileURL.path

    /// `examples/` in the repository.
    static let examplesDirectory = "\(repositoryRoot)/examples"

    /// Every compose file (by docker compose's default names) under `directory`, sorted.
    static func composeFiles(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if ComposeLoader.defaultFileNames.contains(name) {
                found.append("\(directory)/\(relative)")
            }
        }
        return found.sorted()
    }

    /// The corpus files.
    static let corpus: [String] = composeFiles(under: corpusDirectory)

    /// One compose file per example project: the one docker compose would pick
    /// in each directory (compose.yaml before compose.yml, …).
    static let examples: [String] = {
        var byDirectory: [String: String] = [:]
        for file in composeFiles(under: examplesDirectory) {
            let directory = (file as NSString).deletingLastPathComponent
            let rank = { (path: String) in
                ComposeLoader.defaultFileNames.firstIndex(of: (path as NSString).lastPathComponent) ?? 99
            }
            if let existing = byDirectory[directory], rank(existing) <= rank(file) { continue }
            byDirectory[directory] = file
        }
        return byDirectory.values.sorted()
    }()

    /// Loads `file` as `berth config -f file` run in its directory would, so its `.env` applies.
    static func load(_ file: String, environment: [String: String] = [:]) throws(BerthError) -> LoadedProject {
        var options = LoadOptions(
            workingDirectory: (file as NSString).deletingLastPathComponent, environment: environment,
            standardInput: { [] })
        options.files = [file]
        return try ComposeLoader(options: options).load()
    }

    /// The path relative to the corpus or examples directory, for test names.
    static func shortName(_ file: String) -> String {
        for base in [corpusDirectory + "/", repositoryRoot + "/"] where file.hasPrefix(base) {
            return String(file.dropFirst(base.count))
        }
        return file
    }
}
