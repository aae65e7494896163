import BerthModel
import Testing

@testable import Builder

/// Parses `text` as a Dockerfile named `Dockerfile`.
func parse(_ text: String, name: String = "Dockerfile") throws -> Dockerfile {
    try Dockerfile.parse(text, name: name)
}

/// The command of `line`, parsed as the only instruction after `FROM scratch`.
func command(_ line: String) throws -> Command {
    let dockerfile = try parse("FROM scratch\n" + line + "\n")
    let instructions = dockerfile.stages[0].instructions
    guard instructions.count == 1 else { throw TestProblem("\(instructions.count) instructions in \(line)") }
    return instructions[0].command
}

/// The whole message of the error `body` throws, or nil when it throws none.
func errorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as BerthError {
        return error.description
    } catch {
        return "not a BerthError: \(error)"
    }
}

/// The code of the BerthError `body` throws.
func errorCode(_ body: () throws -> Void) -> BerthError.Code? {
    do {
        try body()
        return nil
    } catch let error as BerthError {
        return error.code
    } catch {
        return nil
    }
}

/// A test's own failure, with a message.
struct TestProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
