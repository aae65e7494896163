import BerthModel
import Testing

@testable import ComposeLoader

/// The YAML layer and what can go wrong before a file is a compose model:
/// anchors, merge keys, duplicate keys, alias bombs, files that are not text,
/// syntax errors, interpolation.
@Suite("YAML")
struct YAMLTests {
    /// Writes `text` as compose.yaml and returns the load error's text, with the directory cut.
    private func error(
        _ text: String, environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) -> String? {
        let dir = LoaderScratch()
        dir.write("compose.yaml", text)
        return dir.loadError(environment: environment, sourceLocation: sourceLocation)?.description
            .replacingOccurrences(of: dir.root + "/", with: "")
    }

    private func load(_ text: String, environment: [String: String] = [:], interpolate: Bool = true) throws(BerthError)
        -> LoadedProject
    {
        let dir = LoaderScratch()
        dir.write("compose.yaml", text)
        return try dir.load(environment: environment) { $0.interpolate = interpolate }
    }

    // MARK: - Anchors and merge keys

    @Test("anchors and aliases copy a value, extension fields included")
    func anchorsAndAliases() throws {
        let loaded = try load(
            """
            x-env: &env
              A: "1"
              B: two
            x-image: &image busybox:1.36
            services:
              web:
                image: *image
                environment: *env
                labels: *env
              worker:
                image: *image
                environment: *env
            """)
        #expect(loaded.project.services["web"]?.image == "busybox:1.36")
        #expect(loaded.project.services["web"]?.environment == ["A": "1", "B": "two"])
        #expect(loaded.project.services["web"]?.labels == ["A": "1", "B": "two"])
        #expect(loaded.project.services["worker"]?.environment == ["A": "1", "B": "two"])
        #expect(Emitter.yaml(loaded.canonical).hasSuffix("x-env:\n  A: \"1\"\n  B: two\nx-image: busybox:1.36\n"))
    }

    @Test("<< merges a mapping; explicit keys win whatever their place")
    func mergeKeyMapping() throws {
        let loaded = try load(
            """
            x-base: &base
              image: base
              restart: always
              user: nobody
            services:
              before:
                restart: "no"
                <<: *base
              after:
                <<: *base
                restart: on-failure
            """)
        let before = try #require(loaded.project.services["before"])
        let after = try #require(loaded.project.services["after"])
        #expect(before.image == "base")
        #expect(before.restart == .no)
        #expect(after.restart == .onFailure(maxRetries: nil))
        #expect(after.user == "nobody")
    }

    @Test("<< with a list of mappings: the earlier mapping wins")
    func mergeKeyList() throws {
        let loaded = try load(
            """
            x-base: &base
              image: base
              restart: always
            x-other: &other
              image: other
              user: other
              restart: "no"
            services:
              multi:
                <<: [*base, *other]
              explicit:
                <<: [*other, *base]
                image: mine
            """)
        let multi = try #require(loaded.project.services["multi"])
        #expect(multi.image == "base")
        #expect(multi.restart == .always)
        #expect(multi.user == "other")
        let explicit = try #require(loaded.project.services["explicit"])
        #expect(explicit.image == "mine")
        #expect(explicit.restart == .no)
    }

    @Test("<< inside a nested mapping (environment)")
    func mergeKeyNested() throws {
        let loaded = try load(
            """
            x-env: &env
              A: "1"
              B: "1"
            services:
              web:
                image: x
                environment:
                  <<: *env
                  B: "2"
            """)
        #expect(loaded.project.services["web"]?.environment == ["A": "1", "B": "2"])
    }

    @Test("<< with something other than a mapping is an error")
    func mergeKeyNotMapping() {
        #expect(
            error("services:\n  web:\n    <<: text\n    image: x\n")
                == "compose.yaml:3:9: a `<<` merge key needs a mapping or a list of mappings, not a string")
        // An alias of a list is a merge list; its items keep the place they were written.
        #expect(
            error("x-a: &a [1, 2]\nservices:\n  web:\n    <<: *a\n    image: x\n")
                == "compose.yaml:1:10: a `<<` merge list may hold only mappings, not an integer")
        #expect(
            error("x-a: &a {k: v}\nservices:\n  web:\n    <<: [*a, 3]\n    image: x\n")
                == "compose.yaml:4:14: a `<<` merge list may hold only mappings, not an integer")
    }

    @Test("an unknown alias is an error at its place")
    func unknownAlias() {
        #expect(error("services:\n  web: *nope\n") == "compose.yaml:2:8: unknown anchor \"*nope\"")
    }

    // MARK: - Duplicate keys and alias bombs

    @Test("a duplicate key is an error naming both places")
    func duplicateKey() {
        #expect(
            error("services:\n  web:\n    image: a\n    image: b\n")
                == "compose.yaml:4:5: duplicate key \"image\" (first defined at compose.yaml:3:5)")
        #expect(
            error("services:\n  web:\n    image: a\nservices:\n  db:\n    image: b\n")
                == "compose.yaml:4:1: duplicate key \"services\" (first defined at compose.yaml:1:1)")
    }

    @Test("a duplicate key in a large mapping is found too")
    func duplicateKeyLargeMapping() {
        var text = "services:\n"
        for i in 0..<40 { text += "  s\(i):\n    image: x\n" }
        text += "  s7:\n    image: y\n"
        #expect(error(text) == "compose.yaml:82:3: duplicate key \"s7\" (first defined at compose.yaml:16:3)")
    }

    @Test("a billion-laughs file is refused at once with a clear error")
    func billionLaughs() {
        var lines = [#"x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            lines.append(
                "x-\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
            previous = name
        }
        lines.append("services:\n  web:\n    image: x\n    command: *j")
        let message = error(lines.joined(separator: "\n") + "\n")
        #expect(
            message == """
                compose.yaml:7:16: aliases expand this file past 2000000 values (alias "*f"); refusing it as a likely "billion laughs" file
                """)
    }

    @Test("a merge-key bomb is refused too")
    func mergeKeyBomb() {
        // Each level merges the previous one under nine keys.
        var lines = ["x-0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"]
        for level in 1...9 {
            let fields = "abcdefghi".map { "\($0): *l\(level - 1)" }.joined(separator: ", ")
            lines.append("x-\(level): &l\(level) {\(fields)}")
        }
        lines.append("services:\n  web:\n    image: x\n    labels:\n      <<: *l9")
        let message = error(lines.joined(separator: "\n") + "\n")
        #expect(message?.contains("refusing it as a likely \"billion laughs\" file") == true)
    }

    // MARK: - Files that are not compose files

    @Test("an empty file, or one of comments only, is an error when it is the whole project")
    func emptyFile() {
        #expect(error("") == "compose.yaml: the file is empty; a compose file needs at least a services: section")
        #expect(
            error("# services:\n#   web: {}\n")
                == "compose.yaml: the file is empty; a compose file needs at least a services: section")
        #expect(error("---\n") == "compose.yaml: the file is empty; a compose file needs at least a services: section")
        #expect(error("{}\n") == "compose.yaml: the file is empty; a compose file needs at least a services: section")
    }

    @Test("an empty override file adds nothing and is no error")
    func emptyOverride() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  web:\n    image: x\n")
        dir.write("compose.override.yaml", "# services:\n#   web:\n#     ports: ['80:80']\n")
        let loaded = try dir.load()
        #expect(loaded.serviceNames == ["web"])
        #expect(loaded.files == ["\(dir.root)/compose.yaml", "\(dir.root)/compose.override.yaml"])
    }

    @Test("several documents in one file merge like several files")
    func severalDocuments() throws {
        let loaded = try load(
            "services:\n  web:\n    image: a\n    ports: ['80:80']\n---\n---\nservices:\n  web:\n    image: b\n    ports: [{target: 80, published: 80}]\n"
        )
        #expect(loaded.project.services["web"]?.image == "b")
        #expect(loaded.project.services["web"]?.ports == [PortMapping(target: 80, published: "80")])
    }

    @Test("a directory given as the file")
    func directory() {
        let dir = LoaderScratch()
        dir.makeDirectory("conf")
        #expect(dir.loadError(["conf"])?.description == "\(dir.root)/conf: is a directory, not a compose file")
    }

    @Test("a binary file (NUL bytes)")
    func binary() {
        let dir = LoaderScratch()
        dir.writeBytes("compose.yaml", Array("services:\n  web:\n    image: a".utf8) + [0, 1, 2] + Array("\n".utf8))
        #expect(
            dir.loadError()?.description
                == "\(dir.root)/compose.yaml: is a binary file, not a compose file (it contains NUL bytes)")
    }

    @Test("invalid UTF-8 is reported at the first bad byte")
    func invalidUTF8() {
        let dir = LoaderScratch()
        // "café" in Latin-1.
        dir.writeBytes("compose.yaml", Array("services:\n  web:\n    image: caf".utf8) + [0xE9] + Array("\n".utf8))
        #expect(
            dir.loadError()?.description
                == "\(dir.root)/compose.yaml:3:15: not valid UTF-8 text (the first bad byte is here); save the file as UTF-8"
        )
    }

    @Test("a YAML syntax error gives line and column")
    func syntaxError() {
        #expect(
            error("services:\n  web:\n    image: a\n   ports: []\n")
                == "compose.yaml:4:4: did not find expected key (while parsing a block mapping at line 2, column 3)")
        #expect(
            error("services:\n  web:\n    image: \"unterminated\n")
                == "compose.yaml:3:12: unclosed quote: found unexpected end of stream (at line 4, column 1)"
        )
        #expect(
            error("services:\n  web:\n    image: a\n\tports: []\n")
                == "compose.yaml:4:1: found a tab character that violates indentation (while scanning a plain scalar at line 3, column 12)"
        )
    }

    @Test("a top level that is not a mapping")
    func topLevelList() {
        #expect(
            error("- web\n- db\n") == "compose.yaml:1:1: the top level of a compose file must be a mapping, not a list")
        #expect(
            error("just text\n") == "compose.yaml:1:1: the top level of a compose file must be a mapping, not a string")
    }

    @Test("a mapping key that is a list or mapping")
    func complexKey() {
        #expect(
            error("services:\n  ? [a, b]\n  : {image: x}\n")
                == "compose.yaml:2:5: a mapping key must be a plain value, not a list")
    }

    // MARK: - Interpolation

    @Test("$$ is a literal $")
    func dollarDollar() throws {
        let loaded = try load(
            "services:\n  web:\n    image: a\n    command: echo $$HOME $${X}\n",
            environment: ["HOME": "/root", "X": "x"])
        #expect(loaded.project.services["web"]?.command == ["echo", "$HOME", "${X}"])
    }

    @Test("an interpolation error names file:line:col and the path")
    func interpolationError() {
        #expect(
            error("services:\n  web:\n    image: a\n    environment:\n      DB: ${DB:?set DB}\n      X: ${X?}\n") == """
                compose.yaml:5:11: services.web.environment.DB: required variable DB is missing a value: set DB
                compose.yaml:6:10: services.web.environment.X: required variable X is missing a value
                """)
        #expect(
            error("services:\n  web:\n    image: a\n    ports:\n      - \"${PORT:?}:80\"\n")
                == "compose.yaml:5:9: services.web.ports[0]: required variable PORT is missing a value")
    }

    @Test("variables interpolate from the environment and defaults")
    func interpolates() throws {
        let loaded = try load(
            "services:\n  web:\n    image: ${IMG:-nginx}:${TAG}\n    ports: ['${PORT}:80']\n",
            environment: ["TAG": "1.25", "PORT": "8080"])
        #expect(loaded.project.services["web"]?.image == "nginx:1.25")
        #expect(loaded.project.services["web"]?.ports == [PortMapping(target: 80, published: "8080")])
    }

    @Test("an unset variable gives the empty string, not null")
    func unsetIsEmptyString() throws {
        let loaded = try load(
            "services:\n  web:\n    image: x\n    command:\n      - echo\n      - ${UNSET}\n    environment:\n      A: ${UNSET}\n      B: $UNSET\n      C:\n"
        )
        let web = try #require(loaded.project.services["web"])
        #expect(web.command == ["echo", ""])
        // A and B are set to ""; C, with no value at all, stays unset.
        let expected: [String: String?] = ["A": "", "B": "", "C": nil]
        #expect(web.environment == expected)
    }

    @Test("--no-interpolate keeps ${X} as written")
    func noInterpolate() throws {
        let loaded = try load(
            "services:\n  web:\n    image: ${IMG}\n    environment: {A: '${X:?x}'}\n", interpolate: false)
        #expect(loaded.project.services["web"]?.image == "${IMG}")
        #expect(loaded.project.services["web"]?.environment == ["A": "${X:?x}"])
    }

    @Test("keys are not interpolated")
    func keysNotInterpolated() throws {
        let loaded = try load(
            "services:\n  web:\n    image: x\n    labels:\n      ${K}: v\n", environment: ["K": "key"])
        #expect(loaded.project.services["web"]?.labels == ["${K}": "v"])
    }

    // MARK: - Scalars

    @Test("YAML 1.2 typing: yes/no/on/off stay strings, quoted numbers stay strings")
    func scalarTyping() throws {
        let loaded = try load(
            """
            services:
              web:
                image: x
                environment:
                  YES: yes
                  OFF: off
                  NUM: 0755
                  QUOTED: "8080"
                  EMPTY: ""
                  NULL_VALUE: null
            """)
        let expected: [String: String?] = [
            "YES": "yes", "OFF": "off", "NUM": "0755", "QUOTED": "8080", "EMPTY": "", "NULL_VALUE": nil,
        ]
        #expect(loaded.project.services["web"]?.environment == expected)
    }

    @Test("block scalars keep their text")
    func blockScalars() throws {
        let loaded = try load(
            "services:\n  web:\n    image: x\n    entrypoint:\n      - sh\n      - -c\n      - |\n        echo one\n        echo two\n"
        )
        #expect(loaded.project.services["web"]?.entrypoint == ["sh", "-c", "echo one\necho two\n"])
    }
}
