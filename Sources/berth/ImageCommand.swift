import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation

/// `berth image import|ls|rm|inspect`: berthd's image store.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images.",
        subcommands: [
            Build.self, Import.self, List.self, Remove.self, Inspect.self, ImagePull.self, ImagePush.self,
            ImageTag.self,
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

    /// `berth image build`, as `docker build`.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build", abstract: "Build an image from a Dockerfile and a context directory.")
        @Option(name: [.short, .customLong("tag")], help: "NAME[:TAG] (repeatable).") var tags: [String] = []
        @Option(name: [.short, .customLong("file")], help: "The Dockerfile (default: CONTEXT/Dockerfile).")
        var file: String?
        @Option(help: "The stage to build.") var target: String?
        @Option(help: "KEY=VALUE label for the image (repeatable).") var label: [String] = []
        @OptionGroup var flags: BuildFlags
        @Argument(help: "The context directory.") var context: String

        func run() async throws {
            let directory = URL(fileURLWithPath: context).standardizedFileURL.path
            var labels: [String: String] = [:]
            for entry in label {
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            let dockerfile = file.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            let request = ImageBuildRequest(
                context: directory, dockerfile: dockerfile, tags: tags, target: target,
                buildArgs: try flags.buildArgs(), labels: labels, noCache: flags.noCache, pull: flags.pull,
                secrets: try flags.secretFiles())
            let result = try await flags.run(request)
            if flags.quiet { FileHandleOutput.standardOutput(result.id + "\n") }
        }
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
            let details = try await ProjectContext.call(.imageDetails, NamesRequest(names: images))
            let objects = details.map(Self.docker)
            let data = try JSONSerialization.data(
                withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            FileHandleOutput.standardOutput(String(decoding: data, as: UTF8.self) + "\n")
        }

        /// `docker image inspect`'s shape: its keys, its defaults for what the image does not set.
        static func docker(_ image: ImageDetails) -> [String: Any] {
            var config: [String: Any] = [
                "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": false,
                "AttachStderr": false, "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": NSNull(),
                "Cmd": NSNull(), "Image": "", "Volumes": NSNull(), "WorkingDir": "", "Entrypoint": NSNull(),
                "OnBuild": NSNull(), "Labels": NSNull(),
            ]
            let stored = (try? JSONSerialization.jsonObject(with: Data(image.config.utf8))) as? [String: Any] ?? [:]
            config.merge(stored) { $1 }
            return [
                "Id": image.id, "RepoTags": image.repoTags, "RepoDigests": image.repoDigests, "Parent": "",
                "Comment": "", "Created": image.created ?? "", "DockerVersion": "", "Author": image.author ?? "",
                "Config": config, "Architecture": image.architecture, "Os": image.os, "Size": image.size,
                "RootFS": ["Type": "layers", "Layers": image.layers],
                "Metadata": ["LastTagTime": "0001-01-01T00:00:00Z"],
            ]
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
