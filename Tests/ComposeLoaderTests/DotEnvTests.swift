import Testing

@testable import ComposeLoader

/// Parses `text` and returns `[key, value]` pairs, which compare with `==`.
private func parse(_ text: String, env: [String: String] = [:]) throws(DotEnvError) -> [[String]] {
    try DotEnv.parse(text) { env[$0] }.map { [$0.key, $0.value] }
}

/// One single-statement file and the value of its one key.
struct DotEnvValueCase: Sendable, CustomTestStringConvertible {
    var input: String
    var key: String
    var value: String
    var testDescription: String { input }
}

private func row(_ input: String, _ key: String, _ value: String) -> DotEnvValueCase {
    DotEnvValueCase(input: input, key: key, value: value)
}

/// Mostly compose-go's own `TestParsing` rows.
private let valueCases: [DotEnvValueCase] = [
    // Separators and trimming.
    row("FOO=bar", "FOO", "bar"),
    row("FOO =bar", "FOO", "bar"),
    row("FOO= bar", "FOO", "bar"),
    row("  KEY =value", "KEY", "value"),
    row("\tKEY=value", "KEY", "value"),
    row("FOO=bar ", "FOO", "bar"),
    row("FOO=", "FOO", ""),
    row("FOO=foobar=", "FOO", "foobar="),
    row("OPTION_A: 1", "OPTION_A", "1"),
    row("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"),
    row("OPTION_A=1:B", "OPTION_A", "1:B"),
    // Key characters.
    row("FOO.BAR=foobar", "FOO.BAR", "foobar"),
    row("VAR-WITH-DASHES=dashes", "VAR-WITH-DASHES", "dashes"),
    row("a[1]=c", "a[1]", "c"),
    row("456 = ABC", "456", "ABC"),
    row("árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép", "árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép"),
    row(#"="value""#, "", "value"),  // compose-go accepts the empty key
    // export.
    row("export OPTION_A=2", "OPTION_A", "2"),
    row(#"export OPTION_B='\n'"#, "OPTION_B", #"\n"#),
    row("export exportFoo=2", "exportFoo", "2"),
    row("exportFOO=2", "exportFOO", "2"),
    row("export_FOO =2", "export_FOO", "2"),
    row("export.FOO= 2", "export.FOO", "2"),
    row("export\tOPTION_A=2", "OPTION_A", "2"),
    row("  export OPTION_A=2", "OPTION_A", "2"),
    row(#"export OPTION_A="export A""#, "OPTION_A", "export A"),
    // Quotes.
    row(#"FOO="bar""#, "FOO", "bar"),
    row("FOO='bar'", "FOO", "bar"),
    row(#"FOO="""#, "FOO", ""),
    row("FOO=''", "FOO", ""),
    row(#"FOO="escaped\"bar""#, "FOO", #"escaped"bar"#),
    row(#"FOO="\"quoted\"""#, "FOO", #""quoted""#),
    row(#"FOO="'d'""#, "FOO", "'d'"),
    row(#"FOO='Let\'s go!'"#, "FOO", "Let's go!"),
    row(#"FOO='{"a": 1}'"#, "FOO", #"{"a": 1}"#),
    row(#"FOO="{\"hello\": \"json\"}""#, "FOO", #"{"hello": "json"}"#),
    row(#"OPTION_I = "echo 'asd'" # Inline comment"#, "OPTION_I", "echo 'asd'"),
    // Escapes: only in double quotes.
    row(#"FOO="bar\nbaz""#, "FOO", "bar\nbaz"),
    row(#"FOO="a\tb""#, "FOO", "a\tb"),
    row(#"FOO='a\tb'"#, "FOO", #"a\tb"#),
    row(#"FOO=a\tb"#, "FOO", #"a\tb"#),
    row(#"KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#, "KEY", "Z\u{07}Z\u{08}Z\u{0C}Z\nZ\rZ\tZ\u{0B}Z\\ZSZ"),
    row(#"FOO="bar\n\ b\az""#, "FOO", "bar\n\\ b\u{07}z"),
    row(#"FOO="bar\\\n\ b\az""#, "FOO", "bar\\\n\\ b\u{07}z"),
    row(#"FOO="bar\nbaz\\""#, "FOO", "bar\nbaz\\"),
    row(#"KEY="\x07 \u12e4 \U00101234 \c \q""#, "KEY", #"\x07 \u12e4 \U00101234 \c \q"#),
    row(#"KEY="\0 \012 \0089 \0400 \0101""#, "KEY", #"\0 \012 \0089 \0400 A"#),
    row(#"FOO='a\\b'"#, "FOO", #"a\\b"#),
    row(#"FOO="it\'s""#, "FOO", #"it\'s"#),
    // Comments after values.
    row("FOO=bar # this is foo", "FOO", "bar"),
    row("FOO=bar #this is foo", "FOO", "bar"),
    row("FOO=bar #", "FOO", "bar"),
    row("FOO=123#not-an-inline-comment", "FOO", "123#not-an-inline-comment"),
    row("FOO=bar\t#tab-is-not-a-comment-start", "FOO", "bar\t#tab-is-not-a-comment-start"),
    row(#"FOO="bar#baz""#, "FOO", "bar#baz"),
    row(##"FOO="bar#baz"#"##, "FOO", "bar#baz"),
    row(#"FOO="bar#baz" # comment"#, "FOO", "bar#baz"),
    row("FOO='bar#baz' # comment", "FOO", "bar#baz"),
    // compose-go trims before looking for " #", so a value that starts with `#` is kept.
    row("FOO= # not a comment", "FOO", "# not a comment"),
    // Interpolation: unquoted and double-quoted only.
    row("FOO=$HOST:80", "FOO", "example.org:80"),
    row(#"FOO="${HOST}:80""#, "FOO", "example.org:80"),
    row("FOO='${HOST}:80'", "FOO", "${HOST}:80"),
    row(#"FOO="foo\$BAR""#, "FOO", "foo$BAR"),
    row(#"FOO="foo\${BAR}""#, "FOO", "foo${BAR}"),
    row("FOO=$$HOST", "FOO", "$HOST"),
    row(#"FOO=\$HOST"#, "FOO", #"\example.org"#),  // no escapes outside double quotes
    row("FOO=${MISSING}", "FOO", ""),
    row("FOO=${MISSING:-fallback}", "FOO", "fallback"),
]

@Suite struct DotEnvTests {
    @Test(arguments: valueCases)
    func parsesValue(_ c: DotEnvValueCase) throws {
        #expect(try parse(c.input, env: ["HOST": "example.org"]) == [[c.key, c.value]])
    }

    @Test func blankLinesAndCommentsAreSkipped() throws {
        let text = """

            # Set Rails/Rack environment
            \t # indented comment
            RACK_ENV=development

            #VAR=commented
            VAR="quoted"
            """
        #expect(try parse(text) == [["RACK_ENV", "development"], ["VAR", "quoted"]])
        #expect(try parse("") == [])
        #expect(try parse("\r\n\t\t \n# only a comment") == [])
    }

    @Test func quotedValuesMaySpanLines() throws {
        let text = """
            OPTION_J = 'first line
            second line
            and so on'
            TEST_URLS="stratum+tcp://a:3333\nstratum+tcp://b:443
            third $HOST"
            AFTER=1
            """
        #expect(
            try parse(text, env: ["HOST": "h"]) == [
                ["OPTION_J", "first line\nsecond line\nand so on"],
                ["TEST_URLS", "stratum+tcp://a:3333\nstratum+tcp://b:443\nthird h"],
                ["AFTER", "1"],
            ])
    }

    @Test func interpolationSeesEarlierKeysButTheEnvironmentWins() throws {
        let text = """
            OPTION_A=1
            OPTION_B=${OPTION_A}
            OPTION_C=$OPTION_B
            OPTION_D="${OPTION_A}_${OPTION_B}"
            OPTION_E=${OPTION_NOT_DEFINED}
            """
        #expect(
            try parse(text) == [
                ["OPTION_A", "1"], ["OPTION_B", "1"], ["OPTION_C", "1"], ["OPTION_D", "1_1"], ["OPTION_E", ""],
            ])
        // compose-go's TestSubstitutionsWithEnvFilePrecedence: the environment comes first.
        #expect(
            try parse(text, env: ["OPTION_A": "5"]) == [
                ["OPTION_A", "1"], ["OPTION_B", "5"], ["OPTION_C", "5"], ["OPTION_D", "5_5"], ["OPTION_E", ""],
            ])
        #expect(
            try parse("OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}", env: ["OPTION_A": "5"]) == [
                ["OPTION_A", "5"], ["OPTION_B", "5"],
            ])
    }

    @Test func bareKeyIsInheritedOrSkipped() throws {
        let env = ["FROM_ENV": "inherited"]
        #expect(
            try parse("foo=bar\nFROM_ENV\nbar=baz\n", env: env) == [
                ["foo", "bar"], ["FROM_ENV", "inherited"], ["bar", "baz"],
            ])
        #expect(try parse("NOT_FOUND\n", env: env) == [])
        #expect(try parse("FROM_ENV", env: env) == [["FROM_ENV", "inherited"]])  // no final newline
        #expect(try parse("export FROM_ENV  \n", env: env) == [["FROM_ENV", "inherited"]])
        #expect(try parse("A=1\nexport \t") == [["A", "1"]])  // compose-go: "zero length string"
        // Only the environment is consulted: an earlier value stays as it was.
        #expect(try parse("A=1\nA\n") == [["A", "1"]])
    }

    @Test func redefinedKeyKeepsItsPlaceAndTakesTheLastValue() throws {
        #expect(try parse("A=1\nB=2\nA=3\nC=$A") == [["A", "3"], ["B", "2"], ["C", "3"]])
    }

    @Test func textAfterAClosingQuoteIsTheNextStatement() throws {
        // compose-go reads on after the quote instead of rejecting the line.
        #expect(try parse(#"FOO="a" BAR=b"#) == [["FOO", "a"], ["BAR", "b"]])
    }

    @Test func crlfLineEndings() throws {
        let text =
            "# comment\r\nA=1\r\nB = two words \r\nC=\"quoted\"\r\nD='x' # c\r\n"
            + "INHERIT\r\nE=\r\nF=\"multi\r\nline\"\r\n"
        #expect(
            try parse(text, env: ["INHERIT": "i"]) == [
                ["A", "1"], ["B", "two words"], ["C", "quoted"], ["D", "x"], ["INHERIT", "i"], ["E", ""],
                ["F", "multi\r\nline"],
            ])
        let error = #expect(throws: DotEnvError.self) { try parse("A=1\r\nB=2\r\nBAD!=3\r\n") }
        #expect(error == DotEnvError(line: 3, message: #"unexpected character "!" in variable name "BAD!=3\r""#))
    }

    @Test func byteOrderMarkIsIgnored() throws {
        #expect(try parse("\u{FEFF}OPTION_A=1\nOPTION_B=2") == [["OPTION_A", "1"], ["OPTION_B", "2"]])
    }

    @Test func badKeyNamesItsLine() {
        let cases: [(String, DotEnvError)] = [
            ("lol$wut", DotEnvError(line: 1, message: #"unexpected character "$" in variable name "lol$wut""#)),
            (
                "%!(EXTRA string)=foo",
                DotEnvError(line: 1, message: #"unexpected character "%" in variable name "%!(EXTRA string)=foo""#)
            ),
            (
                "A=1\n\n# c\nB='x\ny'\nFOO #comment\n",
                DotEnvError(line: 6, message: ##"unexpected character "#" in variable name "FOO #comment""##)
            ),
            (
                "\"KEY\"=1", DotEnvError(line: 1, message: #"unexpected character "\"" in variable name "\"KEY\"=1""#)
            ),
            ("A=1\nFOO BAR=1", DotEnvError(line: 2, message: "key cannot contain a space")),
            ("A=1\nFOO BAR\nC=2", DotEnvError(line: 2, message: "key cannot contain a space")),
            (
                "A=1\nB=\u{A0}x\nA\u{2003}B=1",
                DotEnvError(line: 3, message: #"unexpected character "\u2003" in variable name "A\u2003B=1""#)
            ),
            ("NAME \nA=1\nB!=2", DotEnvError(line: 3, message: #"unexpected character "!" in variable name "B!=2""#)),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: DotEnvError.self) { try parse(text) }
            #expect(error == expected, "\(text)")
        }
    }

    @Test func invalidFixtureFromComposeGo() {
        let text = "# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix"
        let error = #expect(throws: DotEnvError.self) { try parse(text) }
        #expect(error == DotEnvError(line: 7, message: "key cannot contain a space"))
    }

    @Test func unterminatedQuoteNamesTheLineItOpensOn() {
        let cases: [(String, DotEnvError)] = [
            (#"KEY=""#, DotEnvError(line: 1, message: #"unterminated quoted value ""#)),
            ("A=1\nKEY=\"value\nmore\n", DotEnvError(line: 2, message: #"unterminated quoted value "value"#)),
            (#"KEY="value\""#, DotEnvError(line: 1, message: #"unterminated quoted value "value\""#)),
            (#"KEY="value'"#, DotEnvError(line: 1, message: #"unterminated quoted value "value'"#)),
            ("KEY='value\\'", DotEnvError(line: 1, message: #"unterminated quoted value 'value\'"#)),
            ("KEY='value\"", DotEnvError(line: 1, message: #"unterminated quoted value 'value""#)),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: DotEnvError.self) { try parse(text) }
            #expect(error == expected, "\(text)")
        }
    }

    @Test func interpolationErrorsCarryTheLine() {
        let required = #expect(throws: DotEnvError.self) {
            try parse("A=1\nB=\"x\ny\"\nPASSWORD=${DB_PASSWORD:?set it in .env}\n")
        }
        #expect(
            required
                == DotEnvError(line: 4, message: "required variable DB_PASSWORD is missing a value: set it in .env"))
        let invalid = #expect(throws: DotEnvError.self) { try parse("A=1\nB=\"${FOO\"") }
        #expect(invalid == DotEnvError(line: 2, message: #"invalid interpolation format for "${FOO""#))
    }
}
