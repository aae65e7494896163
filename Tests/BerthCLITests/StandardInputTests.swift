import Testing

/// `exec` and `run` do not pass standard input yet; a piped one is not
/// silently dropped (`exec -T db psql < dump.sql` would look as if it worked).
@Suite struct StandardInputTests {
    @Test func execAndRunWarnThatAPipedStandardInputIsNotPassed() throws {
        let runner = try BerthRunner()
        defer { runner.cleanup() }
        // No compose file here: each command stops before reaching any daemon.
        for command in ["exec", "run"] {
            let piped = try runner.run([command, "web", "cat"], stdin: "SELECT 1;\n")
            #expect(piped.status != 0)
            #expect(
                piped.stderr.contains("WARN: berth \(command) does not pass standard input to the command yet"),
                "\(piped.stderr)")
        }
    }
}
