import ArgumentParser
import BerthKube
import BerthModel
import ComposeLoader

#if canImport(Glibc)
import Glibc
#endif

/// `berth kube`: the project for a Kubernetes cluster.
struct KubeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube",
        abstract: "Turn the project into Kubernetes manifests.",
        subcommands: [KubeGenerateCommand.self]
    )
}

/// `berth kube generate`: manifests from the project as `up` loads it; WARN lines on standard error.
struct KubeGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print Kubernetes manifests for the project (or write one file per object).",
        discussion: "Apply the result with `kubectl apply -f FILE` (or `-f DIR`). Every attribute without a "
            + "Kubernetes meaning is named on standard error in a WARN line."
    )

    @OptionGroup var project: ProjectOptions

    @Option(
        name: [.short, .customLong("output")], help: "A directory for one file per object, or - for standard output.")
    var output = "-"

    @Option(help: "Output format: yaml or json.")
    var format: ConfigCommand.OutputFormat = .yaml

    @Option(help: "Set this namespace on every object.")
    var namespace: String?

    @Flag(help: "Services with named volumes and one replica become StatefulSets.")
    var stateful = false

    @Option(name: .customLong("publish-as"), help: "Offer published ports as NodePort or LoadBalancer Services.")
    var publishAs: KubeOptions.PublishAs?

    @Flag(name: .customLong("allow-hostpath"), help: "Turn bind mounts into hostPath volumes.")
    var allowHostPath = false

    @Option(name: .customLong("wait-image"), help: "Image of the init containers that wait for a dependency's port.")
    var waitImage = KubeOptions().waitImage

    @Option(name: .customLong("kubectl-image"), help: "Image of the init containers that wait for a Job.")
    var kubectlImage = KubeOptions().kubectlImage

    @Option(name: .customLong("volume-size"), help: "Size of a volume's claim when the file names none.")
    var volumeSize = KubeOptions().defaultVolumeSize

    @Argument(help: "Services to convert (with their dependencies); all when none.")
    var services: [String] = []

    func run() throws {
        let options = project.loadOptions(services: services)
        let loaded = try ComposeLoader(options: options).load()
        var kube = KubeOptions()
        kube.namespace = namespace
        kube.stateful = stateful
        kube.publishAs = publishAs
        kube.allowHostPath = allowHostPath
        kube.waitImage = waitImage
        kube.kubectlImage = kubectlImage
        kube.defaultVolumeSize = volumeSize
        let result = try KubeGenerator.generate(
            KubeInput(loaded: loaded, environment: options.environment), options: kube, services: services)
        for warning in result.warnings { FileHandleOutput.standardError("WARN: \(warning)\n") }
        if output == "-" {
            FileHandleOutput.standardOutput(
                format == .json ? KubeEmitter.json(result.objects) : KubeEmitter.yaml(result.objects))
            return
        }
        if mkdir(output, 0o755) != 0 && errno != EEXIST {
            throw BerthError(.unwritableFile, "\(output): cannot create: \(String(cString: strerror(errno)))")
        }
        for object in result.objects {
            let file = "\(output)/\(object.kind.lowercased())-\(object.name).\(format.rawValue)"
            try OutputFile.write(
                format == .json ? KubeEmitter.json(object.value) : KubeEmitter.yaml(object.value), to: file)
        }
    }
}

extension KubeOptions.PublishAs: ExpressibleByArgument {}

extension KubeInput {
    /// The input for a loaded project: the model, the attributes each service
    /// sets, and the `x-berth.kube` settings of services and volumes.
    init(loaded: LoadedProject, environment: [String: String]) {
        self.init(
            project: loaded.project, attributes: loaded.serviceAttributes,
            serviceSettings: loaded.extensionScalars("services", at: ["x-berth", "kube"]),
            volumeSettings: loaded.extensionScalars("volumes", at: ["x-berth", "kube"]), environment: environment)
        cpuReservations = loaded.extensionScalars("services", at: ["deploy", "resources", "reservations"])
            .compactMapValues { $0["cpus"].flatMap(Double.init) }
    }
}
