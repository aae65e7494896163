import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation

/// `berth cp SERVICE:SRC DEST` and `berth cp SRC SERVICE:DEST`, docker
/// compose's: a running container of the service (`--index`), paths with
/// docker's rules, `-` for a tar archive on standard output or input.
struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files/folders between a service container and the local filesystem.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.customShort("a"), .customLong("archive")], help: "Archive mode (copy all uid/gid information).")
    var keepOwnership = false
    @Flag(name: [.customShort("L"), .customLong("follow-link")], help: "Always follow symbol link in SRC_PATH.")
    var followLink = false
    @Option(help: "Index of the container if the service has several replicas.") var index: Int = 1
    @Argument(help: "SERVICE:SRC_PATH or SRC_PATH|-") var source: String
    @Argument(help: "DEST_PATH|- or SERVICE:DEST_PATH") var destination: String

    func run() async throws {
        let from = Self.split(source)
        let to = Self.split(destination)
        guard (from.service == nil) != (to.service == nil) else {
            throw BerthError(
                .usage,
                "cp: exactly one of the two paths must name a service, as SERVICE:PATH (\(source) \(destination))")
        }
        let (name, _) = try ProjectContext.name(project)
        let into = to.service != nil
        let local = into ? from.path : to.path
        let archive = local == "-"
        var hostPath = archive ? "" : Self.absolute(local)
        var scratch: String?
        if archive {
            let directory = try Self.scratchDirectory()
            scratch = directory
            hostPath = directory + "/archive.tar"
            if into { try Self.save(standardInputTo: hostPath) }
        }
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        let copy = ContainerCopy(
            intoContainer: into, containerPath: into ? to.path : from.path, hostPath: hostPath, archive: archive,
            followLink: followLink, keepOwnership: keepOwnership)
        let service = (into ? to.service : from.service) ?? ""
        _ = try await ProjectContext.call(
            .copy, CopyRequest(projectName: name, service: service, index: index, copy: copy))
        if archive, !into {
            guard let data = FileManager.default.contents(atPath: hostPath) else {
                throw BerthError(.io, "cp: the archive berthd wrote to \(hostPath) cannot be read")
            }
            data.withUnsafeBytes { FileHandleOutput.standardOutput($0.bindMemory(to: UInt8.self)) }
        }
    }

    /// `SERVICE:PATH` → (service, path); a path alone (even with a colon
    /// after a slash, like `./a:b`) → (nil, path).
    static func split(_ argument: String) -> (service: String?, path: String) {
        guard let colon = argument.firstIndex(of: ":"), !argument[..<colon].contains("/"),
            !argument.hasPrefix(".")
        else { return (nil, argument) }
        return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
    }

    /// berthd may not share the CLI's working directory: paths go absolute,
    /// a trailing `/` or `/.` kept (they carry docker's rules).
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    static func scratchDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/berth-cp-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BerthError(.io, "cp: cannot make a scratch directory \(path)", cause: "\(error)")
        }
        return path
    }

    static func save(standardInputTo path: String) throws {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw BerthError(.io, "cp: cannot keep the archive from standard input in \(path)")
        }
    }
}
