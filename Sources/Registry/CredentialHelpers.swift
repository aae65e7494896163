import BerthModel
import Foundation
import HostOS

/// docker's credential-helper protocol: `docker-credential-NAME get|store|erase`,
/// the server URL (or a JSON record) on stdin, JSON on stdout.
struct CredentialHelpers: Sendable {
    let runner: any CommandRunner
    /// Where `docker-credential-NAME` is looked for; nil: this process's PATH.
    let searchPath: [String]?
    /// A helper that hangs (a keychain prompt nobody answers) must not hang a pull.
    static let timeout: Duration = .seconds(30)

    private struct Record: Codable {
        var ServerURL: String?
        var Username: String
        var Secret: String
    }

    /// The helper's credentials for `serverURL`, or nil when it has none.
    func get(helper: String, serverURL: String) async throws(BerthError) -> Credentials? {
        let result = try await run(helper, "get", input: Array(serverURL.utf8))
        guard result.succeeded else {
            // The helpers' own spelling of "nothing stored" (docker matches it too).
            if result.output.contains("credentials not found") || result.errorOutput.contains("credentials not found") {
                return nil
            }
            throw failure(helper, "get", serverURL, result)
        }
        let record: Record
        do {
            record = try JSONDecoder().decode(Record.self, from: Data(result.standardOutput))
        } catch {
            throw BerthError(
                .credentialHelper, "docker-credential-\(helper) get \(serverURL) answered no credential record",
                cause: "\(error)")
        }
        if record.Username.isEmpty && record.Secret.isEmpty { return nil }
        // A helper keeps an identity token under the user name `<token>`.
        if record.Username == "<token>" { return .identityToken(username: "", token: record.Secret) }
        return .basic(username: record.Username, password: record.Secret)
    }

    /// Hands `credentials` to the helper.
    func store(helper: String, serverURL: String, credentials: Credentials) async throws(BerthError) {
        let record: Record
        switch credentials {
        case .basic(let username, let password):
            record = Record(ServerURL: serverURL, Username: username, Secret: password)
        case .identityToken(_, let token):
            record = Record(ServerURL: serverURL, Username: "<token>", Secret: token)
        }
        let input: [UInt8]
        do {
            input = Array(try JSONEncoder().encode(record))
        } catch {
            throw BerthError(.credentialHelper, "cannot encode the credentials for \(serverURL)", cause: "\(error)")
        }
        let result = try await run(helper, "store", input: input)
        guard result.succeeded else { throw failure(helper, "store", serverURL, result) }
    }

    /// Asks the helper to forget `serverURL`; false when it had nothing.
    func erase(helper: String, serverURL: String) async throws(BerthError) -> Bool {
        let result = try await run(helper, "erase", input: Array(serverURL.utf8))
        if result.succeeded { return true }
        if result.output.contains("credentials not found") || result.errorOutput.contains("credentials not found") {
            return false
        }
        throw failure(helper, "erase", serverURL, result)
    }

    private func run(_ helper: String, _ verb: String, input: [UInt8]) async throws(BerthError) -> CommandResult {
        var program = "docker-credential-" + helper
        if let directory = searchPath?.first(where: { Files.kind("\($0)/\(program)") != .missing }) {
            program = "\(directory)/\(program)"
        }
        let command = Command([program, verb], standardInput: input, timeout: Self.timeout)
        do {
            return try await runner.run(command)
        } catch {
            throw BerthError(
                .credentialHelper, "cannot run the credential helper docker-credential-\(helper) \(verb)",
                cause: "\(error)")
        }
    }

    private func failure(_ helper: String, _ verb: String, _ serverURL: String, _ result: CommandResult) -> BerthError {
        let said = (result.output + " " + result.errorOutput).trimmingCharacters(in: .whitespacesAndNewlines)
        return BerthError(
            .credentialHelper, "docker-credential-\(helper) \(verb) \(serverURL) \(result.termination)",
            cause: said.isEmpty ? nil : said)
    }
}
