import ArgumentParser
import BerthModel
import DaemonAPI

#if canImport(Glibc)
import Glibc
#endif

/// `berth run SERVICE [COMMAND…]`: a one-off command in a new container of
/// a service, as `docker compose run`: on a terminal it gets a pseudo-TTY
/// and this terminal's input (`-T` turns the TTY off); a piped input is
/// passed to it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a one-off command on a service.")

    @OptionGroup var project: ProjectOptionsLongName
    @Flag(name: [.short, .customLong("detach")], help: "Run in the background and print the container's name.")
    var detach = false
    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.") var remove = false
    @Option(name: [.short, .customLong("env")], help: "KEY=VALUE (repeatable).") var env: [String] = []
    @Option(name: [.short, .customLong("user")], help: "Run as this user.") var user: String?
    @Option(name: [.short, .customLong("workdir")], help: "Working directory.") var workdir: String?
    @Option(help: "Override the entrypoint.") var entrypoint: String?
    @Option(help: "Assign a name to the container.") var name: String?
    @Option(name: [.short, .customLong("volume")], help: "Bind mount a volume: SOURCE:TARGET[:ro] (repeatable).")
    var volume: [String] = []
    @Option(name: [.short, .customLong("publish")], help: "Publish a port: [IP:][HOST:]CONTAINER[/PROTO].")
    var publish: [String] = []
    @Option(name: [.short, .customLong("label")], help: "KEY=VALUE label (repeatable).") var label: [String] = []
    @Option(name: .customLong("cap-add"), help: "Add a Linux capability.") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop a Linux capability.") var capDrop: [String] = []
    @Flag(name: .customLong("use-aliases"), help: "Use the service's network aliases.") var useAliases = false
    @Flag(name: .customLong("no-deps"), help: "Do not start linked services.") var noDeps = false
    @Flag(name: .customLong("service-ports"), help: "Publish the service's ports.") var servicePorts = false
    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation.") var noTTY = false
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a pseudo-TTY (the default on a terminal).")
    var tty = false
    @Flag(name: [.short, .customLong("interactive")], help: "Keep standard input open (the default).")
    var interactive = false
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "Service.") var service: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func run() async throws {
        let terminal = !detach && !noTTY && Terminal.standardInputIsTerminal
        let input = detach || terminal ? nil : try StandardInput.encodedIfPiped()
        let loaded = try ProjectContext.load(project.options, services: [service])
        var request = RunRequest(
            project: loaded.project, service: service, command: command,
            entrypoint: entrypoint.map { [$0] }, environment: ExecCommand.environment(env), user: user,
            workingDir: workdir, remove: remove, noDeps: noDeps, servicePorts: servicePorts, detach: detach,
            standardInput: input)
        request.name = name
        request.volumes = try volume.map { try Self.mount($0) }
        request.publish = try publish.map { try Self.port($0) }
        request.useAliases = useAliases ? true : nil
        request.labels = label.isEmpty ? nil : ExecCommand.environment(label)
        request.capAdd = capAdd.isEmpty ? nil : capAdd
        request.capDrop = capDrop.isEmpty ? nil : capDrop
        if terminal || (tty && !noTTY) { request.tty = true }
        if terminal {
            request.stdinOpen = true
            request.attach = true
        }
        let printer = ProgressPrinter(mode: progress)
        let connection = try await Daemon.connect()
        let result = try await connection.stream(.run, request) { output in
            switch output {
            case .progress(let event): printer.handle(event)
            case .log(let line):
                if line.stream == "stderr" {
                    FileHandleOutput.standardError(line.text + "\n")
                } else {
                    FileHandleOutput.standardOutput(line.text + "\n")
                }
            }
        }
        if terminal {
            let attach = AttachRequest(
                projectName: loaded.name.rawValue, service: service, container: result.container, stdin: true,
                start: true, remove: remove, size: Terminal.size())
            let socket = try connection.openSession(.attach, attach)
            let session = InteractiveSession(
                socket: socket, tty: true, stdin: true, detachKeys: .standard, sigProxy: true)
            let code = try session.run() ?? 0
            if code != 0 { throw ExitCode(code) }
            return
        }
        guard let code = result.exitCode else {
            FileHandleOutput.standardOutput(result.container + "\n")
            return
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// `-v SOURCE:TARGET[:ro|:rw]`: a path (made absolute) is a bind, a name a volume.
    static func mount(_ text: String) throws -> Mount {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, parts[1].hasPrefix("/") else {
            throw BerthError(.usage, "run -v \"\(text)\": expected SOURCE:TARGET[:ro], TARGET an absolute path")
        }
        let readOnly = parts.count == 3 && parts[2] == "ro"
        if parts.count == 3 && !["ro", "rw"].contains(parts[2]) {
            throw BerthError(.usage, "run -v \"\(text)\": the mode must be ro or rw, not \"\(parts[2])\"")
        }
        var source = parts[0]
        let isPath = source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~")
        if source.hasPrefix("~") { source = (getenv("HOME").map { String(cString: $0) } ?? "") + source.dropFirst() }
        if isPath && !source.hasPrefix("/") {
            let cwd = getcwd(nil, 0).map { pointer -> String in
                defer { free(pointer) }
                return String(cString: pointer)
            }
            source = (cwd ?? "") + "/" + source
        }
        return Mount(
            type: isPath ? .bind : .volume, source: source, target: parts[1], readOnly: readOnly,
            createHostPath: isPath)
    }

    /// `-p [IP:][HOST:]CONTAINER[/PROTO]`.
    static func port(_ text: String) throws -> PortMapping {
        let invalid = BerthError(.usage, "run -p \"\(text)\": expected [IP:][HOST:]CONTAINER[/tcp|udp]")
        var spec = Substring(text)
        var proto = PortMapping.TransportProtocol.tcp
        if let slash = spec.lastIndex(of: "/") {
            guard let parsed = PortMapping.TransportProtocol(rawValue: String(spec[spec.index(after: slash)...])) else {
                throw invalid
            }
            proto = parsed
            spec = spec[..<slash]
        }
        var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let target = parts.popLast().flatMap(Int.init), (1...65535).contains(target) else { throw invalid }
        let published = parts.popLast().flatMap { $0.isEmpty ? nil : $0 }
        let hostIP = parts.isEmpty ? nil : parts.joined(separator: ":")
        if let published, !published.allSatisfy({ $0.isNumber || $0 == "-" }) { throw invalid }
        return PortMapping(target: target, published: published, hostIP: hostIP, protocol: proto)
    }
}
