#if canImport(Glibc)
import Glibc
#endif

/// Why a bench cannot run as asked; the message says what to change.
public struct BenchError: Error, CustomStringConvertible {
    public let description: String

    /// An error that says `description`.
    public init(_ description: String) { self.description = description }
}

/// A bench's command line: `--name value` options, `--name` flags and
/// positional arguments. `--help` prints the usage and exits.
public struct BenchArguments {
    /// The arguments that are neither options nor flags, in order.
    public let positional: [String]
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// Reads `arguments`: each of `options` takes the value after it, each
    /// of `flags` stands alone; anything else that begins with `--` is an
    /// error. `--help` or `-h` prints `usage` and exits 0.
    public init(
        _ arguments: [String] = Array(CommandLine.arguments.dropFirst()), usage: String, options: Set<String>,
        flags known: Set<String> = []
    ) throws {
        var rest = arguments[...]
        var positional: [String] = []
        while let argument = rest.popFirst() {
            if argument == "--help" || argument == "-h" {
                print(usage)
                exit(0)
            } else if known.contains(argument) {
                flags.insert(argument)
            } else if options.contains(argument) {
                guard let value = rest.popFirst() else { throw BenchError("\(argument) needs a value") }
                values[argument] = value
            } else if argument.hasPrefix("--") {
                throw BenchError("unknown option \(argument)\n\(usage)")
            } else {
                positional.append(argument)
            }
        }
        self.positional = positional
    }

    /// The value of `option`, or nil when it was not given.
    public func text(_ option: String) -> String? { values[option] }

    /// The number `option` gives, `defaultValue` when it was not given.
    public func number(_ option: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let value = values[option] else { return defaultValue }
        guard let number = Int(value), range.contains(number) else {
            throw BenchError("\(option) wants \(range.lowerBound)-\(range.upperBound), not \(value)")
        }
        return number
    }

    /// True when `flag` was given.
    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// What the names of the bench's links and tables begin with: `--prefix`,
    /// or else `berth` and 4 random hex digits.
    public func namePrefix() -> String {
        text("--prefix") ?? "berth" + String(UInt16.random(in: 0x1000...0xFFFF), radix: 16)
    }
}

/// Ends the bench with status 2, saying why, unless it runs as root.
public func requireRoot(_ bench: String, _ why: String) {
    guard getuid() != 0 else { return }
    print("\(bench): needs root (\(why))")
    exit(2)
}

/// A fresh directory `/tmp/<prefix>.XXXXXX` for a bench's state; the bench
/// removes it before it exits.
public func makeScratchRoot(_ prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
        throw BenchError("cannot make /tmp/\(prefix).XXXXXX: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}
