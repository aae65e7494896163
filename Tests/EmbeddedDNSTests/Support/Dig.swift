import Foundation
import TestSupport

/// What `dig` printed for one query, parsed: the status, the header flags
/// and the answer records.
struct DigAnswer {
    /// NOERROR, NXDOMAIN, SERVFAIL…
    let status: String
    /// The header flags (`qr`, `aa`, `tc`, `rd`, `ra`).
    let flags: Set<String>
    /// The answer section, one `(type, data)` per record.
    let records: [(type: String, data: String)]
    /// dig's whole output, for failure messages.
    let output: String

    /// The data of the answers of `type`.
    func data(of type: String) -> [String] { records.filter { $0.type == type }.map(\.data) }
}

/// Runs `dig` against a server on loopback and parses the reply.
enum Dig {
    static var available: Bool { Subprocess.available("dig") }

    /// Asks `server:port` for `name`/`type`. `options` are extra dig
    /// arguments (`+tcp`, `+ignore`, `-b 127.0.0.2`). One try, three seconds:
    /// a test that needs more is waiting for the wrong thing.
    static func query(
        _ name: String, _ type: String = "A", port: Int, server: String = "127.0.0.1", options: [String] = []
    ) async throws -> DigAnswer {
        let arguments = ["@\(server)", "-p", "\(port)", name, type, "+tries=1", "+time=3"] + options
        let result = try await Subprocess.run("dig", arguments)
        guard result.status == 0 else {
            throw TestFailure("dig \(arguments.joined(separator: " ")) exited \(result.status):\n\(result.output)")
        }
        return try parse(result.output)
    }

    static func parse(_ output: String) throws -> DigAnswer {
        var status: String?
        var flags: Set<String> = []
        var records: [(type: String, data: String)] = []
        var inAnswer = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if let range = line.range(of: "status: ") {
                status = String(line[range.upperBound...].prefix { $0 != "," })
            } else if line.hasPrefix(";; flags:") {
                let text = line.dropFirst(";; flags:".count).prefix { $0 != ";" }
                flags = Set(text.split(separator: " ").map(String.init))
            } else if line.hasPrefix(";; ANSWER SECTION:") {
                inAnswer = true
            } else if inAnswer {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count < 5 {
                    inAnswer = false
                } else {
                    records.append((String(fields[3]), fields[4...].joined(separator: " ")))
                }
            }
        }
        guard let status else { throw TestFailure("dig printed no status:\n\(output)") }
        return DigAnswer(status: status, flags: flags, records: records, output: output)
    }
}
