import Foundation
import Glibc
import TestSupport

/// A program a test runs beside it (a registry, the token server, the fault
/// proxy): its stdout and stderr in files of the test's scratch directory,
/// killed when the test is done with it, also when the test fails.
final class BackgroundProcess {
    let process = Process()
    let outputPath: String
    let name: String

    /// Starts `arguments` (argv[0] found on PATH); stdout to `output`, stderr to `output.err`.
    init(_ arguments: [String], output: String) throws {
        self.outputPath = output
        self.name = arguments.joined(separator: " ")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: output + ".err", contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output + ".err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { stop() }

    /// The first line the program printed, waiting for it up to `seconds`.
    func firstLine(within seconds: Int = 10) async throws -> String {
        var line: String?
        let printed = try await eventually(within: seconds) {
            let text = self.output
            guard let end = text.firstIndex(of: "\n") else { return !process.isRunning }
            line = String(text[..<end])
            return true
        }
        guard printed, let line else {
            throw TestFailure("\(name) printed no line: \(errorOutput)")
        }
        return line
    }

    /// What it wrote on stdout.
    var output: String { contents(of: outputPath) }

    /// What it wrote on stderr (registries log there).
    var errorOutput: String { contents(of: outputPath + ".err") }

    /// Kills it and reaps it. SIGKILL at once: these servers keep nothing
    /// worth a clean exit, and a child spawned from a test thread may
    /// inherit a signal mask that holds SIGTERM back.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Ports and connections on loopback.
enum Loopback {
    /// A port nothing listens on now (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// How many lines of `text` contain `part` (a request in a server's log).
func lines(of text: String, containing part: String) -> Int {
    text.split(separator: "\n").filter { $0.contains(part) }.count
}

/// The file at `path` as text; empty when there is none yet.
func contents(of path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// The python3 scripts beside the tests.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
}
