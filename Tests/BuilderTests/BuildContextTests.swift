import BerthModel
import Glibc
import TestSupport
import Testing

@testable import Builder

/// A context directory with a few files; `.dockerignore` and a Dockerfile added per test.
func makeContext(_ scratch: ScratchDirectory, ignore: String? = nil) throws -> BuildContext {
    try scratch.write("Dockerfile", "FROM scratch\nCOPY . /\n")
    try scratch.write("app.py", "print('hi')\n")
    try scratch.write("README.md", "readme\n")
    try scratch.write("notes.txt", "notes\n")
    try scratch.write("src/main.c", "int main() {}\n")
    try scratch.write("src/util.c", "void util() {}\n")
    try scratch.write("src/util.h", "void util();\n")
    try scratch.write("src/lib/deep.c", "deep\n")
    try scratch.write("docs/README.md", "docs\n")
    try scratch.write("docs/guide.md", "guide\n")
    if let ignore { try scratch.write(".dockerignore", ignore) }
    return try BuildContext.open(directory: scratch.path, dockerfile: .file("Dockerfile")).context
}

/// Each match as `path` (or `path -> resolved`), a directory's contents after a colon.
func describe(_ source: ContextSource) -> [String] {
    source.matches.map { match in
        var text = match.path == match.resolvedPath ? match.path : "\(match.path) -> \(match.resolvedPath)"
        if match.entry.isDirectory { text += ": " + match.contents.map(\.path).joined(separator: " ") }
        return text
    }
}

@Suite("Build context: .dockerignore, sources, digests")
struct BuildContextTests {
    @Test func openingReadsTheDockerfileAndTheIgnoreFile() throws {
        try withScratchDirectory { scratch in
            try scratch.write("Dockerfile.dev", "FROM scratch\n")
            try scratch.write("Dockerfile.dev.dockerignore", "secret\n")
            try scratch.write(".dockerignore", "other\n")
            let (context, dockerfile) = try BuildContext.open(
                directory: scratch.path + "/", dockerfile: .file("Dockerfile.dev"))
            #expect(dockerfile.name == "Dockerfile.dev")
            #expect(context.directory == scratch.path)
            #expect(context.ignoreFile == scratch.path + "/Dockerfile.dev.dockerignore")
            #expect(context.isIgnored("secret/key"))
            #expect(!context.isIgnored("other"))
            let inline = try BuildContext.open(directory: scratch.path, dockerfile: .inline("FROM scratch\nUSER me\n"))
            #expect(inline.context.ignoreFile == scratch.path + "/.dockerignore")
            #expect(inline.dockerfile.stages[0].instructions.count == 1)
        }
    }

    @Test func aMissingContextOrDockerfileIsAClearError() throws {
        try withScratchDirectory { scratch in
            try scratch.write("file", "x")
            #expect(
                errorMessage {
                    _ = try BuildContext.open(directory: scratch.path + "/nope", dockerfile: .file("Dockerfile"))
                }
                    == "the build context \(scratch.path)/nope does not exist")
            #expect(
                errorMessage {
                    _ = try BuildContext.open(directory: scratch.path + "/file", dockerfile: .file("Dockerfile"))
                }
                    == "the build context \(scratch.path)/file is not a directory")
            #expect(
                errorMessage { _ = try BuildContext.open(directory: scratch.path, dockerfile: .file("Dockerfile")) }
                    == "the Dockerfile \(scratch.path)/Dockerfile does not exist")
            try scratch.write(".dockerignore", "[\n")
            #expect(
                errorMessage { _ = try BuildContext.open(directory: scratch.path, dockerfile: .inline("FROM scratch")) }
                    == "\(scratch.path)/.dockerignore: malformed pattern [")
        }
    }

    @Test func sourcesSelectFilesDirectoriesAndWildcards() throws {
        try withScratchDirectory { scratch in
            let context = try makeContext(scratch, ignore: "*.txt\nsrc/lib\n")
            #expect(describe(try context.select("app.py")) == ["app.py"])
            #expect(describe(try context.select("./src/")) == ["src: main.c util.c util.h"])
            #expect(describe(try context.select("/src/*.c")) == ["src/main.c", "src/util.c"])
            #expect(describe(try context.select("*.md")) == ["README.md"])
            #expect(describe(try context.select("*/README.md")) == ["docs/README.md"])
            #expect(describe(try context.select("d*")) == ["docs: README.md guide.md"])
            #expect(describe(try context.select("nothing*")) == [])
            #expect(
                describe(try context.select(".")).first?.hasPrefix(": .dockerignore Dockerfile README.md app.py docs")
                    == true)
        }
    }

    @Test func missingIgnoredAndOutsideSourcesAreErrors() throws {
        try withScratchDirectory { scratch in
            let context = try makeContext(scratch, ignore: "notes.txt\n")
            #expect(errorMessage { _ = try context.select("main.py") } == "main.py: not found in the build context")
            #expect(
                errorMessage { _ = try context.select("notes.txt") }
                    == "notes.txt: not in the build context (.dockerignore excludes notes.txt)")
            #expect(
                errorMessage { _ = try context.select("../etc/passwd") }
                    == "../etc/passwd: the path is outside the build context")
            #expect(errorCode { _ = try context.select("main.py") } == .buildContext)
        }
    }

    @Test func anExceptionBringsAFileBackFromAnIgnoredDirectory() throws {
        try withScratchDirectory { scratch in
            let context = try makeContext(scratch, ignore: "docs\n!docs/README.md\n")
            #expect(describe(try context.select("docs")) == ["docs: README.md"])
            #expect(describe(try context.select("docs/README.md")) == ["docs/README.md"])
            #expect(
                errorMessage { _ = try context.select("docs/guide.md") }
                    == "docs/guide.md: not in the build context (.dockerignore excludes docs/guide.md)")
        }
    }

    @Test func symlinksAreFollowedForTheSourceAndKeptInsideDirectories() throws {
        try withScratchDirectory { scratch in
            let context = try makeContext(scratch)
            symlink("src", scratch.path("code"))
            symlink("/app.py", scratch.path("src/absolute"))
            symlink("../../../../app.py", scratch.path("escape"))
            #expect(describe(try context.select("code/main.c")) == ["code/main.c -> src/main.c"])
            #expect(describe(try context.select("src/absolute")) == ["src/absolute -> app.py"])
            #expect(describe(try context.select("escape")) == ["escape -> app.py"])
            let source = try context.select("code")
            #expect(describe(source) == ["code -> src: absolute lib lib/deep.c main.c util.c util.h"])
            #expect(source.matches[0].contents[0].entry.kind == .symlink(target: "/app.py"))
        }
    }

    @Test func excludesApplyBelowEachSourceAndParentsKeepDirectories() throws {
        try withScratchDirectory { scratch in
            let context = try makeContext(scratch)
            #expect(describe(try context.select("src", excludes: ["*.h", "lib"])) == ["src: main.c util.c"])
            #expect(
                describe(try context.select("src", excludes: ["**/*.c", "!lib/deep.c"])) == [
                    "src: lib lib/deep.c util.h"
                ])
            // A wildcard's own match is not excluded: exclusion is below each match.
            #expect(describe(try context.select("*.py", excludes: ["*.py"])) == ["app.py"])
            #expect(describe(try context.select("./src/./lib/deep.c", parents: true)) == ["src: lib lib/deep.c"])
            #expect(
                describe(try context.select("src/**/*.c", parents: true)) == [
                    ": src src/lib src/lib/deep.c src/main.c src/util.c"
                ])
            #expect(
                errorMessage { _ = try context.select("src/nope.c", parents: true) }
                    == "src/nope.c: not found in the build context")
        }
    }
}
