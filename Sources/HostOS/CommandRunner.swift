/// A program to run: argv, environment, working directory, input, deadline.
public struct Command: Hashable, Sendable, CustomStringConvertible {
    /// argv; the first element is the program, found through PATH when it
    /// holds no `/`.
    public var arguments: [String]
    /// The whole environment of the child; nil inherits this process's.
    public var environment: [String: String]?
    /// The child's working directory; nil keeps this process's.
    public var workingDirectory: String?
    /// Bytes written to the child's stdin, which is then closed; with none,
    /// stdin is /dev/null so a program that reads it cannot hang.
    public var standardInput: [UInt8]
    /// After this long the child's process group is killed (SIGKILL) and
    /// the run fails with a timeout error; nil waits forever.
    public var timeout: Duration?

    /// A command.
    public init(
        _ arguments: [String], environment: [String: String]? = nil, workingDirectory: String? = nil,
        standardInput: [UInt8] = [], timeout: Duration? = nil
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.standardInput = standardInput
        self.timeout = timeout
    }

    /// The argv as a shell would show it, quoting what needs quoting, for
    /// error messages (`command "nft -f -" exited with status 1`).
    public var description: String {
        arguments.map { argument in
            let plain =
                !argument.isEmpty
                && argument.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                        || "-_./=:,+@%".utf8.contains(byte)
                }
            return plain ? argument : "'" + argument.replacingAll("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

/// How a child ended.
public enum Termination: Hashable, Sendable, CustomStringConvertible {
    /// It called exit with this status.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// `exited with status 1`, `killed by signal 9`.
    public var description: String {
        switch self {
        case .exited(let status): "exited with status \(status)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A finished run: how it ended and everything it printed.
public struct CommandResult: Hashable, Sendable {
    /// What ran.
    public var command: Command
    /// How it ended.
    public var termination: Termination
    /// All of stdout.
    public var standardOutput: [UInt8]
    /// All of stderr.
    public var standardError: [UInt8]

    /// A result.
    public init(command: Command, termination: Termination, standardOutput: [UInt8], standardError: [UInt8]) {
        self.command = command
        self.termination = termination
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// stdout as text (invalid UTF-8 repaired).
    public var output: String { String(decoding: standardOutput, as: UTF8.self) }
    /// stderr as text (invalid UTF-8 repaired).
    public var errorOutput: String { String(decoding: standardError, as: UTF8.self) }
    /// Exited with status 0.
    public var succeeded: Bool { termination == .exited(0) }

    /// Returns self when it succeeded, else throws an error that names the
    /// command, how it ended and what it said on stderr.
    @discardableResult
    public func check() throws -> CommandResult {
        guard !succeeded else { return self }
        let said = errorOutput.trimmingWhitespace()
        throw HostOSError(.command, "command \"\(command)\" \(termination)", detail: said.isEmpty ? nil : said)
    }
}

/// Runs programs (crun, nft). The real one spawns processes; tests of code
/// above it can answer from a script instead.
public protocol CommandRunner: Sendable {
    /// Runs `command` to completion. Throws when it cannot be started or
    /// times out; a non-zero exit is a result (see `CommandResult.check`).
    func run(_ command: Command) async throws -> CommandResult
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation here).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }

    /// Leading and trailing whitespace and newlines removed.
    func trimmingWhitespace() -> String {
        let trimmed = drop { $0.isWhitespace }
        return String(trimmed.reversed().drop { $0.isWhitespace }.reversed())
    }
}
