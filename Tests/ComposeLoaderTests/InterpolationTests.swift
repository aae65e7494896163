import Testing

@testable import ComposeLoader

/// The environment every case runs against: SET is non-empty, EMPTY is set to "",
/// UNSET is absent.
private let environment = [
    "SET": "value",
    "EMPTY": "",
    "JSON": #"{"json":2}"#,
    "FOO": "first",
    "FOO_BAR": "long",
]

private func lookup(_ name: String) -> String? { environment[name] }

/// One row: a template and either its expansion or the full error message.
struct InterpolationCase: Sendable, CustomTestStringConvertible {
    var template: String
    var expected: Result<String, InterpolationError>
    var testDescription: String { template }

    static func ok(_ template: String, _ value: String) -> Self {
        Self(template: template, expected: .success(value))
    }
    static func fails(_ template: String, _ message: String, variable: String? = nil) -> Self {
        Self(template: template, expected: .failure(InterpolationError(message: message, variable: variable)))
    }
}

private let cases: [InterpolationCase] = [
    // Plain text and escapes.
    .ok("", ""),
    .ok("no variables here", "no variables here"),
    .ok("$$", "$"),
    .ok("$${SET}", "${SET}"),
    .ok("$$SET", "$SET"),
    .ok("$$$SET", "$value"),
    .ok("100$$ each", "100$ each"),
    // A `$` that cannot start anything stays literal.
    .ok("$", "$"),
    .ok("a $ string", "a $ string"),
    .ok("^REGEX$", "^REGEX$"),
    .ok("$}", "$}"),
    .ok("$1 $- $.", "$1 $- $."),
    .ok("price: 5$", "price: 5$"),
    // `$NAME` takes the longest run of name characters.
    .ok("$SET", "value"),
    .ok("$FOO_BAR", "long"),
    .ok("$FOO-bar", "first-bar"),
    .ok("$FOO.bar", "first.bar"),
    .ok("x$SET/y", "xvalue/y"),
    .ok("$UNSET", ""),
    .ok("$EMPTY", ""),
    .ok("é$FOOé", "éfirsté"),
    // `${NAME}`.
    .ok("${SET}", "value"),
    .ok("${FOO}_BAR", "first_BAR"),
    .ok("This ${UNSET} var", "This  var"),
    .ok("This ${EMPTY} var", "This  var"),
    .ok("${SET}${FOO}", "valuefirst"),
    // `:-` default when unset or empty; `-` only when unset.
    .ok("${SET:-def}", "value"),
    .ok("${EMPTY:-def}", "def"),
    .ok("${UNSET:-def}", "def"),
    .ok("${SET-def}", "value"),
    .ok("${EMPTY-def}", ""),
    .ok("${UNSET-def}", "def"),
    .ok("${UNSET:-}", ""),
    .ok("${UNSET:-/non:-alphanumeric}", "/non:-alphanumeric"),
    .ok("${UNSET-myerror?msg}", "myerror?msg"),
    .ok("${UNSET:-a b  c}", "a b  c"),
    // `:+` alternative when set and non-empty; `+` when set.
    .ok("${SET:+alt}", "alt"),
    .ok("${EMPTY:+alt}", ""),
    .ok("${UNSET:+alt}", ""),
    .ok("${SET+alt}", "alt"),
    .ok("${EMPTY+alt}", "alt"),
    .ok("${UNSET+alt}", ""),
    .ok("${UNSET:+${UNSET},}B", "B"),
    // `:?` and `?` pass a usable value through.
    .ok("${SET:?err}", "value"),
    .ok("${SET?err}", "value"),
    .ok("${EMPTY?err}", ""),
    .ok("${SET?${UNSET:?never evaluated}}", "value"),
    // Nesting.
    .ok("${UNSET:-${FOO}}", "first"),
    .ok("${UNSET:-$FOO}", "first"),
    .ok("${UNSET-$FOO}", "first"),
    .ok("${UNSET:-${EMPTY:-x}}", "x"),
    .ok("${UNSET:-${UNSET2:-${FOO}}}", "first"),
    .ok("${UNSET-${FOO} ${FOO}}", "first first"),
    .ok("${EMPTY+$FOO ${FOO:+second}}", "first second"),
    .ok("+ok ${UNSET:-${EMPTY-defaultValue}}", "+ok "),
    .ok("${UNSET:-$$}", "$"),
    // Several operator forms on one line, and text after them.
    .ok("ok ${SUB:-redis}.${FOO:?}", "ok redis.first"),
    .ok("${UNSET:-a}-${SET:-b}-${EMPTY:-c}", "a-value-c"),
    .ok("${UNSET:-x} and ${SET}", "x and value"),
    .ok("${UNSET:-x}}", "x}"),
    .ok("${UNSET:-x}\n${SET}", "x\nvalue"),
    // Braces inside a default are balanced, as compose-go counts them.
    .ok(#"ok ${UNSET:-{"json":1}}"#, #"ok {"json":1}"#),
    .ok(#"ok ${JSON:-{"json":1}}"#, #"ok {"json":2}"#),
    .ok(#"ok ${UNSET-{"json":1}}"#, #"ok {"json":1}"#),
    .ok("${UNSET:-{}x}", "{}x"),
    // Required variables: compose-go's messages.
    .fails(
        "not ok ${UNSET:?Mandatory Variable Unset}",
        "required variable UNSET is missing a value: Mandatory Variable Unset", variable: "UNSET"),
    .fails(
        "${EMPTY:?set it in .env}", "required variable EMPTY is missing a value: set it in .env",
        variable: "EMPTY"),
    .fails("${UNSET:?}", "required variable UNSET is missing a value", variable: "UNSET"),
    .fails("${EMPTY:?}", "required variable EMPTY is missing a value", variable: "EMPTY"),
    .fails("${UNSET?bar-baz}", "required variable UNSET is missing a value: bar-baz", variable: "UNSET"),
    .fails("${UNSET?}", "required variable UNSET is missing a value", variable: "UNSET"),
    .fails(
        "${UNSET:?Mandatory ${FOO}}", "required variable UNSET is missing a value: Mandatory first",
        variable: "UNSET"),
    .fails(
        "${UNSET:-${NESTED?inner}}", "required variable NESTED is missing a value: inner",
        variable: "NESTED"),
    // Malformed forms name the text that holds them.
    .fails("${", #"invalid interpolation format for "${""#),
    .fails("${}", #"invalid interpolation format for "${}""#),
    .fails("${ }", #"invalid interpolation format for "${ }""#),
    .fails("${FOO", #"invalid interpolation format for "${FOO""#),
    .fails("${ FOO}", #"invalid interpolation format for "${ FOO}""#),
    .fails("${FOO }", #"invalid interpolation format for "${FOO }""#),
    .fails("${FOO:x}", #"invalid interpolation format for "${FOO:x}""#),
    .fails("${FOO!}", #"invalid interpolation format for "${FOO!}""#),
    .fails("${FOO/a/b}", #"invalid interpolation format for "${FOO/a/b}""#),
    .fails("${1}", #"invalid interpolation format for "${1}""#),
    .fails("ok ${FOO:-x", #"invalid interpolation format for "ok ${FOO:-x""#),
    // `.` does not cross a line in compose-go's pattern, so a default cannot either.
    .fails("${FOO:-x\n}", "invalid interpolation format for \"${FOO:-x\n}\""),
    // An error inside a used default names that default.
    .fails("${UNSET:-a ${}", #"invalid interpolation format for "a ${""#),
    .ok("${SET:-a ${}", "value"),
]

@Suite struct InterpolationTests {
    @Test(arguments: cases)
    func substitutes(_ row: InterpolationCase) {
        let got: Result<String, InterpolationError>
        do {
            got = .success(try Interpolation.substitute(row.template, lookup: lookup))
        } catch {
            got = .failure(error)
        }
        #expect(got == row.expected)
    }

    @Test func textWithoutDollarIsReturnedUnchanged() throws {
        var calls = 0
        let text = String(repeating: "plain value with {braces} and no dollar ", count: 100)
        let got = try Interpolation.substitute(text) { _ in
            calls += 1
            return nil
        }
        #expect(got == text)
        #expect(calls == 0)
        // The same storage comes back: no copy was made.
        let same = got.utf8.withContiguousStorageIfAvailable { a in
            text.utf8.withContiguousStorageIfAvailable { b in a.baseAddress == b.baseAddress }
        }
        #expect(same == true)
    }

    @Test func defaultsAreEvaluatedOnlyWhenUsed() throws {
        var asked: [String] = []
        _ = try Interpolation.substitute("${SET:-${A}} ${UNSET:+${B}} ${SET?${C}} ${UNSET:-${D}}") { name in
            asked.append(name)
            return environment[name]
        }
        #expect(asked == ["SET", "UNSET", "SET", "UNSET", "D"])
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let depth = 10_000
        let text = String(repeating: "${A:-", count: depth) + "x" + String(repeating: "}", count: depth)
        #expect(throws: InterpolationError.self) {
            try Interpolation.substitute(text, lookup: { _ in nil })
        }
        let fine = String(repeating: "${A:-", count: 20) + "x" + String(repeating: "}", count: 20)
        #expect(try Interpolation.substitute(fine, lookup: { _ in nil }) == "x")
    }

    @Test func thousandsOfFormsOnOneLine() throws {
        let text = Array(repeating: "${UNSET:-d}", count: 5_000).joined(separator: " ")
        let got = try Interpolation.substitute(text, lookup: lookup)
        #expect(got == Array(repeating: "d", count: 5_000).joined(separator: " "))
    }
}
