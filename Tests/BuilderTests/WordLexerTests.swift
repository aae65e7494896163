import Testing

@testable import Builder

/// The variables every case expands against: PWD and SHELL set, NULL set to
/// "", the rest unset.
private let variables: Variables = [
    "PWD": "/home", "SHELL": "bash", "NULL": "", "KOREAN": "한국어", "STR": "foobarbaz", "PATHS": "/a/b/c.tar.gz",
    "SPACE": "abc  def", "LEADING": "  ab c",
]

/// One row: a word and its expansion, or the error it must raise.
struct WordCase: Sendable, CustomTestStringConvertible {
    var word: String
    var expected: String?
    var testDescription: String { word }

    static func ok(_ word: String, _ expected: String) -> Self { Self(word: word, expected: expected) }
    static func fails(_ word: String) -> Self { Self(word: word, expected: nil) }
}

private let expansions: [WordCase] = [
    // Quotes and escapes outside quotes.
    .ok("hello", "hello"), .ok("he'll'o", "hello"), .fails("he'llo"), .ok(#"he\'llo"#, "he'llo"),
    .fails(#"he\\'llo"#), .ok(#"abc\tdef"#, "abctdef"), .ok(#""abc\tdef""#, #"abc\tdef"#),
    .ok(#""abc\\tdef""#, #"abc\tdef"#), .ok(#"'abc\tdef'"#, #"abc\tdef"#), .ok(#"hello\"#, "hello"),
    .ok(#"hello\\"#, #"hello\"#), .fails(#""hello"#), .fails(#""hello\""#), .ok(#""hel'lo""#, "hel'lo"),
    .fails("'hello"), .ok(#"'hello\'"#, #"hello\"#), .ok(#"'hello\\there'"#, #"hello\\there"#),
    .ok(#""''""#, "''"), .ok(#"'"hello"'"#, #""hello""#),
    // `$NAME`, positional and special parameters (never set).
    .ok("$.", "$."), .ok("he$1x", "hex"), .ok("he$.x", "he$.x"), .ok("he$pwd.", "he."), .ok("he$PWD", "he/home"),
    .ok(#"he\$PWD"#, "he$PWD"), .ok(#"he\\$PWD"#, #"he\/home"#), .ok(#""he\$PWD""#, "he$PWD"),
    .ok(#""he\\$PWD""#, #"he\/home"#), .ok(#"'he\$PWD'"#, #"he\$PWD"#), .ok("$@@@", "@@"), .ok("$999aaa", "aaa"),
    .ok("${999:-bbb}aaa", "bbbaaa"), .ok("$0", ""), .ok("${#:+bbb}", ""), .ok("${$:-bbb}", "bbb"),
    .ok("$KOREAN", "한국어"), .ok("안녕$KOREAN", "안녕한국어"), .ok("안'녕'하세요", "안녕하세요"),
    // `${NAME}` and its modifiers.
    .ok(#"\${}"#, "${}"), .ok(#"he\${}xx"#, "he${}xx"), .fails("${}"), .fails("he${}xx"), .ok("he${hi}xx", "hexx"),
    .ok("he${PWD}", "he/home"), .fails("he${.}"), .ok("he${XXX:-000}xx", "he000xx"),
    .ok("he${PWD:-000}xx", "he/homexx"),
    .ok("he${XXX:-$PWD}xx", "he/homexx"), .ok("he${XXX:-${YYY:-yyy}}xx", "heyyyxx"), .fails("he${XXX:YYY}"),
    .fails("he${XXX?}"), .fails("he${XXX:?}"), .ok("he${PWD?}", "he/home"), .ok("he${NULL?}", "he"),
    .fails("he${NULL:?}"), .ok("he${NULL-x}", "he"), .ok("he${NULL:-x}", "hex"), .ok("he${NULL+x}", "hex"),
    .ok("he${NULL:+x}", "he"), .ok("he${XXX:+${PWD}}xx", "hexx"), .ok("he${PWD:+${SHELL}}xx", "hebashxx"),
    .ok("'he${XX}'", "he${XX}"), .ok(#""he'$PWD'""#, "he'/home'"), .fails("he${PWD"), .fails("he${PWD:=000}xx"),
    .ok("he${PWD:+${PWD}:}xx", "he/home:xx"), .ok(#"he${XXX:-\$PWD:}xx"#, "he$PWD:xx"),
    .ok(#"he${XXX:-\${PWD}z}xx"#, "he${PWDz}xx"), .fails("${{aaa}"), .ok("${aaa}}", "}"), .fails("${aaa"),
    .ok("${aaa:-bbb}}", "bbb}"), .fails("${aaa:-bbb"), .fails("${aaa:-bbb ${foo}"), .ok("${aaa:-bbb {foo}", "bbb {foo"),
    .fails("${:}"), .fails("${:-bbb}"),
    // The pattern modifiers of Dockerfile 1.7 (`#`, `##`, `%`, `%%`, `/`, `//`).
    .ok("${STR#f*b}", "arbaz"), .ok("${STR##f*b}", "az"), .ok("${STR%b*}", "foobar"), .ok("${STR%%b*}", "foo"),
    .ok("${STR/ba/fo}", "fooforbaz"), .ok("${STR//ba/fo}", "fooforfoz"), .ok("${STR#nomatch}", "foobarbaz"),
    .ok("${PATHS##*/}", "c.tar.gz"), .ok("${PATHS%/*}", "/a/b"), .ok("${PATHS%%.*}", "/a/b/c"),
    .ok("${PATHS#*.}", "tar.gz"),
    .ok(#"${STR/\*/x}"#, "foobarbaz"), .ok("${STR/?a/X}", "fooXrbaz"), .ok("${STR//?a/X}", "fooXrXz"),
    .ok("${UNSET#x}", ""), .ok("${UNSET/a/b}", ""), .fails("${STR:#x}"), .fails(#"${STR#\x}"#),
]

@Suite("Dockerfile words: quotes, escapes, variables")
struct WordLexerTests {
    @Test(arguments: expansions)
    func expands(_ row: WordCase) {
        let result = try? WordLexer().expand(row.word, variables)
        #expect(result == row.expected)
    }

    /// Splitting happens after expansion; quoted text never splits.
    @Test(arguments: [
        ("hello", ["hello"]), ("hello${hi}bye", ["hellobye"]), ("hello${SPACE}bye", ["helloabc", "defbye"]),
        (#"hello"${SPACE}"bye"#, ["helloabc  defbye"]), (#"hello "${SPACE}"bye"#, ["hello", "abc  defbye"]),
        ("hello${LEADING}def", ["hello", "ab", "cdef"]), (#"hello"${LEADING}" def"#, ["hello  ab c", "def"]),
        ("hello there", ["hello", "there"]), (#"hello\ there"#, ["hello there"]),
        (#"hello\" there"#, [#"hello""#, "there"]),
        (#"hello"\\there""#, [#"hello\there"#]), (#"hello'\\there'"#, [#"hello\\there"#]),
        ("hello'$there'", ["hello$there"]),
        ("a \"\" b", ["a", "b"]),
    ])
    func splits(_ word: String, _ expected: [String]) throws {
        #expect(try WordLexer().split(word, variables) == expected)
    }

    @Test func theEscapeDirectiveChangesTheEscape() throws {
        let lexer = WordLexer(escape: "`")
        #expect(try lexer.expand(#"c:\dir`$PWD"#, variables) == #"c:\dir$PWD"#)
        #expect(try lexer.expand(#""a`"b""#, variables) == #"a"b"#)
    }

    @Test func anUnsetVariableCanBeKeptAsWritten() throws {
        var lexer = WordLexer()
        lexer.keepsUnset = true
        #expect(try lexer.expand("$NOPE ${NOPE} ${NOPE:-x} $PWD", variables) == "$NOPE ${NOPE} ${NOPE:-x} /home")
    }

    @Test func heredocBodiesExpandWithoutTouchingQuotes() throws {
        var lexer = WordLexer()
        lexer.ignoresQuotes = true
        #expect(try lexer.expand(#"echo "hello ${SHELL}" '$PWD'"#, variables) == #"echo "hello bash" '/home'"#)
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(throws: WordError(message: "NULL: is not allowed to be empty")) {
            try WordLexer().expand("${NULL:?}", variables)
        }
        #expect(throws: WordError(message: "XXX: set it, please")) {
            try WordLexer().expand("${XXX?set it, please}", variables)
        }
        #expect(throws: WordError(message: "syntax error: bad substitution")) {
            try WordLexer().expand("${}", variables)
        }
    }
}
