import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `berth login [-u USER] [--password-stdin] [SERVER]`: berthd checks the
/// credentials with the registry, then records them as `docker login`
/// does (the credential helper, else `auths` in `$DOCKER_CONFIG/config.json`,
/// mode 0600), so docker and Berth share one login.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a registry.")

    @Option(name: [.short, .customLong("username")], help: "Username.") var username: String?
    @Option(name: [.short, .customLong("password")], help: "Password (prefer --password-stdin).") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Take the password from standard input.") var passwordStdin = false
    @Argument(help: "The registry (default: Docker Hub).") var server: String = "docker.io"

    func run() async throws {
        if password != nil, passwordStdin {
            throw BerthError(.usage, "--password and --password-stdin are mutually exclusive")
        }
        guard let user = username ?? Self.prompt("Username: ") else {
            throw BerthError(.usage, "berth login: a username is needed (-u USER)")
        }
        var secret = password
        if passwordStdin {
            guard username != nil else { throw BerthError(.usage, "--password-stdin needs --username") }
            secret = Self.readStandardInput()
        } else if secret == nil {
            secret = getpass("Password: ").map { String(cString: $0) }
        }
        guard let secret, !secret.isEmpty else { throw BerthError(.usage, "berth login: the password is empty") }
        if password != nil {
            FileHandleOutput.standardError("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
        }
        let lines = try await ProjectContext.call(
            .login,
            LoginRequest(
                server: server, username: user, password: secret, configDirectory: RegistryConfig.directory,
                uid: getuid(), gid: getgid()))
        for line in lines { FileHandleOutput.standardOutput(line + "\n") }
    }

    /// The whole of standard input, without its last line break.
    static func readStandardInput() -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        var text = String(decoding: data, as: UTF8.self)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }

    /// Asks on the terminal; nil when standard input is not one.
    static func prompt(_ question: String) -> String? {
        guard isatty(0) == 1 else { return nil }
        FileHandleOutput.standardError(question)
        return readLine(strippingNewline: true).flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// `berth logout [SERVER]`.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out from a registry.")

    @Argument(help: "The registry (default: Docker Hub).") var server: String = "docker.io"

    func run() async throws {
        let lines = try await ProjectContext.call(
            .logout,
            LoginRequest(
                server: server, username: "", password: "", configDirectory: RegistryConfig.directory, uid: getuid(),
                gid: getgid()))
        for line in lines { FileHandleOutput.standardOutput(line + "\n") }
    }
}
