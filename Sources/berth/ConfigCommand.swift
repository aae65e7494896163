import ArgumentParser
import BerthModel
import ComposeLoader
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `berth config`: the project in canonical form, as `docker compose config` prints it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate the compose files and print the canonical project."
    )

    @OptionGroup var project: ProjectOptions

    @Option(help: "Output format: yaml or json.")
    var format: OutputFormat = .yaml

    @Flag(name: .customLong("no-interpolate"), help: "Do not substitute variables.")
    var noInterpolate = false

    @Flag(help: "Print the service names, one per line.")
    var services = false

    @Flag(help: "Print the volume names, one per line.")
    var volumes = false

    @Flag(help: "Print the network names, one per line.")
    var networks = false

    @Flag(help: "Print the profile names, one per line.")
    var profiles = false

    @Flag(help: "Print the image names, one per line.")
    var images = false

    @Option(help: "Print the config hash of these services (comma-separated, or '*').")
    var hash: String?

    @Flag(name: [.short, .customLong("quiet")], help: "Only validate; print nothing.")
    var quiet = false

    @Option(name: [.short, .customLong("output")], help: "Write to this file instead of standard output.")
    var output: String?

    @Argument(help: "Services to include (their profiles are enabled).")
    var serviceNames: [String] = []

    enum OutputFormat: String, ExpressibleByArgument { case yaml, json }

    func run() throws {
        try ConfigRequest(
            loadOptions: project.loadOptions(services: serviceNames, interpolate: !noInterpolate), format: format,
            noInterpolate: noInterpolate, services: services, volumes: volumes, networks: networks, profiles: profiles,
            images: images, hash: hash, quiet: quiet, output: output, serviceNames: serviceNames
        ).run()
    }
}

/// What `berth config` was asked, however its arguments were read: by
/// ArgumentParser, or for the common forms by `ConfigRequest.quick`.
struct ConfigRequest {
    var loadOptions: LoadOptions
    var format: ConfigCommand.OutputFormat = .yaml
    var noInterpolate = false
    var services = false
    var volumes = false
    var networks = false
    var profiles = false
    var images = false
    var hash: String?
    var quiet = false
    var output: String?
    var serviceNames: [String] = []

    /// Prints what was asked, then ends the process: the loaded project
    /// and its trees are left to the kernel (see `UntilExit`).
    func run() throws -> Never {
        let kept = UntilExit()
        // Its address kept, the block that grew the heap is never freed.
        if let heap = HeapTuning.preferHugePages() { kept.keep(Int(bitPattern: heap)) }
        try show(keeping: kept)
        kept.exit()
    }

    private func show(keeping kept: UntilExit) throws {
        var options = loadOptions
        options.keepParsedTree = { kept.keep($0) }
        let loaded = try ComposeLoader(options: options).load()
        kept.keep(loaded)
        if quiet { return }
        var text: String
        let names = (loaded.canonical["services"]?.entries ?? []).map(\.key).sorted()
        if services {
            text = lines(names)
        } else if volumes {
            text = lines((loaded.canonical["volumes"]?.entries ?? []).map(\.key).sorted())
        } else if networks {
            text = lines((loaded.canonical["networks"]?.entries ?? []).map(\.key).sorted())
        } else if profiles {
            text = lines(loaded.allProfiles)
        } else if images {
            text = lines(
                names.map { name in
                    loaded.canonical["services"]?[name]?["image"]?.scalarText ?? "\(loaded.name.rawValue)-\(name)"
                })
        } else if let hash {
            let model = loaded.project
            let wanted = hash == "*" ? model.serviceNames : hash.split(separator: ",").map(String.init)
            var out: [String] = []
            for name in wanted {
                guard let service = model.services[name] else {
                    throw BerthError(.usage, "no such service: \(name)")
                }
                out.append("\(name) \(service.configHash)")
            }
            text = lines(out)
        } else {
            var canonical = loaded.canonical
            if !serviceNames.isEmpty {
                let keep = Set(loaded.graph.selecting(serviceNames, noDeps: false))
                canonical["services"] = canonical["services"].map { node in
                    Node(.mapping((node.entries ?? []).filter { keep.contains($0.key) }), mark: node.mark)
                }
            }
            // `$` prints as `$$` (as docker compose does) unless nothing was interpolated.
            let escape = !noInterpolate
            if output == nil {
                // Streamed: a large project is never held whole as text.
                Emitter.write(canonical, json: format == .json, escapeDollars: escape) {
                    FileHandleOutput.standardOutput($0)
                }
                return
            }
            text =
                format == .json
                ? Emitter.json(canonical, escapeDollars: escape) : Emitter.yaml(canonical, escapeDollars: escape)
        }
        if let output {
            try OutputFile.write(text, to: output)
        } else {
            FileHandleOutput.standardOutput(text)
        }
    }

    private func lines(_ items: [String]) -> String {
        items.isEmpty ? "" : items.joined(separator: "\n") + "\n"
    }
}

/// What `berth config` leaves to the kernel: values that live until the
/// process exits, never freed one by one. Freeing a large tree node by node
/// would cost more than printing it; its owner ends the process with
/// `exit()` while they are still referenced, so they never are.
final class UntilExit: Sendable {
    private let values = Mutex<[any Sendable]>([])

    /// Keeps `value` until the process exits.
    func keep(_ value: any Sendable) {
        values.withLock { $0.append(value) }
    }

    /// Ends the process with status 0, everything kept still referenced.
    func exit() -> Never {
        withExtendedLifetime(self) { Glibc.exit(0) }
    }
}
