import ArgumentParser
import BerthModel
import DaemonAPI

/// `berth port SERVICE PRIVATE_PORT`: the public address of a port binding.
struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "port", abstract: "Print the public port for a port binding.")

    @OptionGroup var project: ProjectOptions
    @Option(help: "tcp or udp.") var `protocol`: String = "tcp"
    @Option(help: "Index of the container if the service has several replicas.") var index: Int = 1
    @Argument(help: "Service.") var service: String
    @Argument(help: "Private port.") var privatePort: Int

    func run() async throws {
        let (name, _) = try ProjectContext.name(project)
        let containers = try await ProjectContext.call(
            .ps, PsRequest(projectName: name, services: [service], all: true))
        let number = String(index)
        guard let container = containers.first(where: { $0.labels["com.docker.compose.container-number"] == number })
        else {
            throw BerthError(.notFound, "service \"\(service)\" has no container with index \(index)")
        }
        guard
            let port = container.publishers.first(where: {
                $0.targetPort == privatePort && $0.protocol == self.protocol
            })
        else {
            throw BerthError(.notFound, "no port \(privatePort)/\(self.protocol) published for \(container.name)")
        }
        FileHandleOutput.standardOutput("\(port.url):\(port.publishedPort)\n")
    }
}
