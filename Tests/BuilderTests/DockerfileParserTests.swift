import BerthModel
import Testing

@testable import Builder

@Suite("Dockerfile: directives, comments, continuations, stages")
struct DockerfileParserTests {
    @Test func directivesAtTheTopAreRead() throws {
        let dockerfile = try parse(
            "# syntax=docker/dockerfile:1\n#  EsCaPe = `\n# check=skip=all\n\nFROM scratch\nRUN a `\n  b\n")
        #expect(dockerfile.syntax == "docker/dockerfile:1")
        #expect(dockerfile.escape == "`")
        #expect(
            dockerfile.notes.map(\.description) == [
                "Dockerfile:1: syntax=docker/dockerfile:1 ignored: Berth builds with its own Dockerfile frontend",
                "Dockerfile:3: check=skip=all ignored: Berth runs no build checks",
            ])
        #expect(dockerfile.stages[0].instructions[0].command == .run(RunInstruction(command: .shell("a   b"))))
    }

    @Test(arguments: [
        "# a comment\n# escape=`\nFROM scratch\n", "\n# escape=`\nFROM scratch\n", "FROM scratch\n# escape=`\n",
        "# unknown=1\n# escape=`\nFROM scratch\n",
    ])
    func directivesAfterAnythingElseAreComments(_ text: String) throws {
        #expect(try parse(text).escape == "\\")
    }

    @Test func aDirectiveMayAppearOnce() {
        #expect(
            errorMessage { _ = try parse("# escape=\\\n# escape=`\nFROM scratch\n") }
                == "Dockerfile:2: the escape directive may be given only once")
        #expect(
            errorMessage { _ = try parse("# escape=x\nFROM scratch\n") }
                == "Dockerfile:1: escape directive: x is neither \\ nor `")
    }

    @Test func commentsAndBlankLinesInsideAContinuationAreDropped() throws {
        let dockerfile = try parse(
            "FROM scratch\nRUN echo hello \\\n# comment\n    # indented comment\nworld\nRUN something \\\n\n    following \\\n\n    more\n"
        )
        let commands = dockerfile.stages[0].instructions.map(\.command)
        #expect(
            commands == [
                .run(RunInstruction(command: .shell("echo hello world"))),
                .run(RunInstruction(command: .shell("something     following     more"))),
            ])
        #expect(
            dockerfile.notes.map(\.description) == [
                "Dockerfile:6: empty continuation line (a future Docker release refuses it)"
            ])
    }

    @Test func instructionsKnowTheirLines() throws {
        let dockerfile = try parse(
            "# comment\n\nFROM scratch AS base\n  RUN a \\\n    b\n\nCOPY <<EOF /x\nbody\nEOF\nUSER me\n")
        #expect(dockerfile.stages[0].location == DockerfileLocation(file: "Dockerfile", line: 3))
        let locations = dockerfile.stages[0].instructions.map { [$0.location.line, $0.location.endLine] }
        #expect(locations == [[4, 5], [7, 9], [10, 10]])
        #expect(dockerfile.stages[0].instructions[0].text == "RUN a     b")
    }

    @Test func anEscapedEscapeAtTheEndDoesNotContinue() throws {
        #expect(try command("RUN echo \\\\") == .run(RunInstruction(command: .shell("echo \\\\"))))
        #expect(try command("RUN echo hi \\") == .run(RunInstruction(command: .shell("echo hi"))))
    }

    @Test func byteOrderMarkAndWindowsLineEndingsAreHandled() throws {
        let dockerfile = try parse("\u{FEFF}FROM scratch\r\nRUN a \\\r\n  b\r\nUSER x\r\n")
        #expect(
            dockerfile.stages[0].instructions.map(\.command) == [
                .run(RunInstruction(command: .shell("a   b"))), .user("x"),
            ])
    }

    @Test func stagesCollectTheirInstructionsAndGlobalArgsComeFirst() throws {
        let dockerfile = try parse(
            "ARG VERSION=1\nARG BASE\nfrom busybox:$VERSION as Build\nRUN make\nFROM --platform=$BUILDPLATFORM scratch\nCOPY --from=build /out /\n"
        )
        #expect(dockerfile.globalArgs.count == 2)
        #expect(dockerfile.stages.map(\.name) == ["build", nil])
        #expect(dockerfile.stages.map(\.base) == ["busybox:$VERSION", "scratch"])
        #expect(dockerfile.stages.map(\.platform) == [nil, "$BUILDPLATFORM"])
        #expect(dockerfile.stages.map(\.instructions.count) == [1, 1])
        #expect(dockerfile.stage(named: "BUILD")?.index == 0)
        #expect(dockerfile.stage(named: "1")?.index == 1)
    }

    @Test func maintainerIsNoted() throws {
        let dockerfile = try parse("FROM scratch\nMAINTAINER Jane <jane@example.com>\n")
        #expect(
            dockerfile.notes.map(\.description) == [
                "Dockerfile:2: MAINTAINER is deprecated; it sets the image's author"
            ])
    }

    @Test(arguments: [
        ("", "Dockerfile: the file has no instructions"),
        ("# only a comment\n\n", "Dockerfile: the file has no instructions"),
        ("ARG A\n", "Dockerfile: there is no FROM, so no stage to build"),
        ("RUN make\nFROM scratch\n", "Dockerfile:1: RUN: only ARG may come before the first FROM"),
        ("FROM scratch\nFORM x\n", "Dockerfile:2: FORM: unknown instruction; did you mean FROM?"),
        ("FROM scratch\ncopyy a b\n", "Dockerfile:2: COPYY: unknown instruction; did you mean COPY?"),
        ("FROM scratch\nFOOBAR\n", "Dockerfile:2: FOOBAR: unknown instruction"),
        ("FROM\n", "Dockerfile:1: FROM: expected an image and an optional AS name: FROM image [AS name]"),
        ("FROM a b\n", "Dockerfile:1: FROM: expected an image and an optional AS name: FROM image [AS name]"),
        (
            "FROM a AS 1st\n",
            "Dockerfile:1: FROM: invalid stage name \"1st\": it must begin with a letter and hold only letters, digits, -, _ and ."
        ),
        ("FROM --platfrom=linux a\n", "Dockerfile:1: FROM: unknown flag --platfrom; did you mean --platform?"),
    ])
    func syntaxErrorsNameTheFileTheLineAndTheInstruction(_ text: String, _ message: String) {
        #expect(errorMessage { _ = try parse(text) } == message)
        #expect(errorCode { _ = try parse(text) } == .invalidDockerfile)
    }

    @Test func errorsUseTheFilesRealName() {
        #expect(
            errorMessage { _ = try parse("FROM scratch\nRUNN x\n", name: "Dockerfile.dev") }
                == "Dockerfile.dev:2: RUNN: unknown instruction; did you mean RUN?")
    }
}
