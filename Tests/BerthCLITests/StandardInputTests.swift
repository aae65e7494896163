import Testing

/// `run` does not pass standard input yet; a piped one is not dropped
/// silently (`run --rm db psql < dump.sql` would look as if it worked).
@Suite struct StandardInputTests {
    @Test func runWarnsThatAPipedStandardInputIsNotPassed() throws {
        let runner = try BerthRunner()
        defer { runner.cleanup() }
        // No compose file here: the command stops before reaching any daemon.
        let piped = try runner.run(["run", "web", "cat"], stdin: "SELECT 1;\n")
        #expect(piped.status != 0)
        #expect(
            piped.stderr.contains("WARN: berth run does not pass standard input to the command yet"), "\(piped.stderr)")
    }
}
