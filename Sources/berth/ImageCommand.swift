import ArgumentParser
import DaemonAPI
import Foundation

/// `berth image import|ls|rm|inspect`: berthd's image store.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images.",
        subcommands: [
            Import.self, List.self, Remove.self, Inspect.self, ImagePull.self, ImagePush.self, ImageTag.self,
        ])

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes)B" : String(format: "%.3g%@", value, units[unit])
    }

    /// `name:tag` → (`name`, `tag`), a registry's port not taken for a tag.
    static func split(_ reference: String) -> (String, String) {
        let name = reference.split(separator: "@").first.map(String.init) ?? reference
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else {
            return (name, reference.contains("@") ? "<none>" : "latest")
        }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import an OCI layout or archive, a docker save tarball, or a root filesystem (directory or tar)."
        )
        @Argument(help: "File or directory.") var file: String
        @Argument(help: "NAME[:TAG] (for a root filesystem, or to tag a single image).") var reference: String?

        func run() async throws {
            let path = URL(fileURLWithPath: file).standardizedFileURL.path
            let images = try await ProjectContext.call(
                .imageImport, ImageImportRequest(path: path, reference: reference))
            for image in images { FileHandleOutput.standardOutput("\(image.reference) \(image.digest)\n") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.")
        @Flag(name: [.short, .customLong("quiet")], help: "Only display IDs.") var quiet = false
        @Flag(help: "Show digests.") var digests = false

        func run() async throws {
            let images = try await ProjectContext.call(.images, Empty())
            if quiet {
                FileHandleOutput.standardOutput(
                    images.map { String($0.digest.dropFirst(7).prefix(12)) + "\n" }.joined())
                return
            }
            let rows = images.map { image -> [String] in
                let (repository, tag) = ImageCommand.split(image.reference)
                var row = [repository, tag]
                if digests {
                    // The digest the registry knows this repository's image by, as docker shows it.
                    let pinned = image.repoDigests?.first { $0.hasPrefix(repository + "@") }
                    row.append(pinned.map { String($0.dropFirst(repository.count + 1)) } ?? "<none>")
                }
                return row + [String(image.digest.dropFirst(7).prefix(12)), ImageCommand.size(image.size)]
            }
            let header = ["REPOSITORY", "TAG"] + (digests ? ["DIGEST"] : []) + ["IMAGE ID", "SIZE"]
            FileHandleOutput.standardOutput(table(header, rows))
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images.")
        @Flag(name: [.short, .customLong("force")], help: "Remove even if a container uses it.") var force = false
        @Argument(help: "Images.") var images: [String]

        func run() async throws {
            let removed = try await ProjectContext.call(.imageRemove, NamesRequest(names: images, force: force))
            for line in removed { FileHandleOutput.standardOutput(line + "\n") }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect", abstract: "Show an image's details as JSON.")
        @Argument(help: "Images.") var images: [String]

        func run() async throws {
            let details = try await ProjectContext.call(.imageInspect, NamesRequest(names: images))
            FileHandleOutput.standardOutput(jsonLine(details) + "\n")
        }
    }
}

/// `berth image pull REF`.
struct ImagePull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull an image from a registry.")
    @Flag(name: [.short, .customLong("quiet")], help: "Only print the image's name.") var quiet = false
    @Option(help: "Platform, e.g. linux/amd64 (default: this host's).") var platform: String?
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "NAME[:TAG|@DIGEST]") var reference: String

    func run() async throws {
        let request = ImagePullRequest(
            references: [reference], platform: platform, configDirectory: RegistryConfig.directory)
        let result = try await ProjectContext.stream(
            .imagePull, request, printer: ProgressPrinter(mode: quiet ? .quiet : progress))
        for image in result.images {
            if !quiet, let pinned = image.repoDigests?.first { FileHandleOutput.standardOutput("Digest: \(pinned)\n") }
            FileHandleOutput.standardOutput(image.reference + "\n")
        }
    }
}

/// `berth image push REF`.
struct ImagePush: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push an image to a registry.")
    @Flag(name: [.short, .customLong("quiet")], help: "Without progress.") var quiet = false
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "NAME[:TAG]") var reference: String

    func run() async throws {
        let request = ImagePushRequest(references: [reference], configDirectory: RegistryConfig.directory)
        let result = try await ProjectContext.stream(
            .imagePush, request, printer: ProgressPrinter(mode: quiet ? .quiet : progress))
        for image in result.images {
            FileHandleOutput.standardOutput("\(image.reference): digest: \(image.digest) size: \(image.size)\n")
        }
    }
}

/// `berth image tag SOURCE TARGET`.
struct ImageTag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag", abstract: "Create a tag TARGET that refers to SOURCE.")
    @Argument(help: "SOURCE[:TAG]") var source: String
    @Argument(help: "TARGET[:TAG]") var target: String

    func run() async throws {
        _ = try await ProjectContext.call(.imageTag, ImageTagRequest(source: source, target: target))
    }
}
