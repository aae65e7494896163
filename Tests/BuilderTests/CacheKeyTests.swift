import BerthModel
import Glibc
import TestSupport
import Testing

@testable import Builder

private let dockerfile = """
    FROM busybox
    ARG MODE=dev
    COPY app.py /app/
    RUN echo built
    LABEL v=1
    COPY src /src
    RUN make
    """

/// The layer steps of the test Dockerfile, by step index.
private let layers = [1, 2, 4, 5]

/// The keys of `text`'s target stage, in step order (layer steps only).
private func keys(
    _ context: BuildContext, _ text: String = dockerfile, options: BuildOptions = BuildOptions(),
    images: [String: BaseImage] = testImages()
) throws -> [String] {
    let built = try BuildGraph(dockerfile: parse(text), options: options).plan(images: images)
    let keys = try CacheKeys.compute(built, images: images, context: context)
    let stage = built.result
    return stage.steps.indices.compactMap { keys.key(stage: stage.index, step: $0) }
}

/// A context with the files the test Dockerfile copies, and some it does not.
private func context(_ scratch: ScratchDirectory, ignore: String = "src/*.o\n") throws -> BuildContext {
    try scratch.write("app.py", "print('v1')\n")
    try scratch.write("src/main.c", "int main() { return 0; }\n")
    try scratch.write("src/build.o", "object\n")
    try scratch.write("README.md", "not copied\n")
    try scratch.write(".dockerignore", ignore)
    return try BuildContext.open(directory: scratch.path, dockerfile: .inline(dockerfile)).context
}

/// Which of the four layer keys differ between two builds.
private func changed(_ before: [String], _ after: [String]) -> [Bool] {
    zip(before, after).map { $0 != $1 }
}

@Suite("Cache keys: same inputs same key, any real change a new one")
struct CacheKeyTests {
    @Test func theSameInputsGiveTheSameKeys() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            let first = try keys(context)
            #expect(first.count == layers.count)
            #expect(Set(first).count == first.count)
            #expect(try keys(context) == first)
        }
    }

    @Test func editingACopiedFileChangesThatCopyAndWhatFollows() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            let before = try keys(context)
            try scratch.write("src/main.c", "int main() { return 1; }\n")
            #expect(changed(before, try keys(context)) == [false, false, true, true])
            try scratch.write("app.py", "print('v2')\n")
            let after = try keys(context)
            #expect(after[0] != before[0])
        }
    }

    @Test func touchingAFileChangesNothingButItsModeDoes() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            let before = try keys(context)
            var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, scratch.path("app.py"), &times, 0) == 0)
            #expect(try keys(context) == before)
            #expect(chmod(scratch.path("app.py"), 0o755) == 0)
            #expect(changed(before, try keys(context)) == [true, true, true, true])
        }
    }

    @Test func filesTheBuildDoesNotCopyChangeNothing() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            let before = try keys(context)
            try scratch.write("README.md", "edited\n")
            try scratch.write("src/build.o", "rebuilt object\n")
            try scratch.write("other/new.txt", "new\n")
            #expect(try keys(context) == before)
            try scratch.write("src/lib/new.c", "new\n")
            #expect(changed(before, try keys(context)) == [false, false, true, true])
        }
    }

    @Test func aSymlinksTargetIsPartOfTheContent() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            symlink("main.c", scratch.path("src/link"))
            let before = try keys(context)
            unlink(scratch.path("src/link"))
            symlink("build.o", scratch.path("src/link"))
            #expect(changed(before, try keys(context)) == [false, false, true, true])
        }
    }

    @Test func argsInScopeChangeRunsButNotCopies() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            let before = try keys(context)
            #expect(
                changed(before, try keys(context, options: BuildOptions(buildArgs: ["MODE": "prod"])))
                    == [false, true, true, true])
            #expect(
                try keys(context, options: BuildOptions(buildArgs: ["UNDECLARED": "x", "HTTP_PROXY": "p"])) == before)
            let env = dockerfile.replacingFirst("LABEL v=1", with: "ENV v=1")
            #expect(changed(before, try keys(context, env)) == [false, false, false, true])
            let label = dockerfile.replacingFirst("LABEL v=1", with: "LABEL v=2\nCMD [\"other\"]")
            #expect(try keys(context, label) == before)
        }
    }

    @Test func aNewBaseImageChangesEveryKey() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            let before = try keys(context)
            let after = try keys(context, images: testImages(busyboxID: "sha256:" + String(repeating: "c", count: 64)))
            #expect(changed(before, after) == [true, true, true, true])
        }
    }

    @Test func aCopyFromAStageFollowsThatStage() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            let text = "FROM busybox AS build\nCOPY app.py /\nRUN cc\nFROM scratch\nCOPY --from=build /out /out\n"
            let before = try keys(context, text)
            try scratch.write("app.py", "print('v3')\n")
            #expect(try keys(context, text) != before)
            let built = try BuildGraph(dockerfile: parse(text)).plan(images: testImages())
            let byContent = try CacheKeys.compute(built, images: testImages(), context: context) { stage, path in
                "sha256:artifact-of-\(stage)-\(path)"
            }
            try scratch.write("app.py", "print('v4')\n")
            let again = try CacheKeys.compute(built, images: testImages(), context: context) { stage, path in
                "sha256:artifact-of-\(stage)-\(path)"
            }
            #expect(byContent.key(stage: 1, step: 0) == again.key(stage: 1, step: 0))
            #expect(byContent.key(stage: 0, step: 0) != again.key(stage: 0, step: 0))
            #expect(byContent.stages[1]?.base == "scratch")
        }
    }

    @Test func ownersCountButTimesDoNot() throws {
        let root = "/context"
        let files = FakeFileSystem(root: root)
        files.file(root + "/app.py", "print('hi')\n")
        files.directory(root + "/src")
        files.file(root + "/src/main.c", "main\n")
        let context = BuildContext(directory: root, ignore: try PatternMatcher([]), fileSystem: files)
        let before = try keys(context)
        files.file(root + "/app.py", "print('hi')\n", stamp: 2)
        #expect(try keys(context) == before)
        files.file(root + "/app.py", "print('hi')\n", uid: 1000, gid: 1000)
        #expect(changed(before, try keys(context)) == [true, true, true, true])
        let local = LocalFileSystem()
        try withScratchDirectory { scratch in
            let path = try scratch.write("f", "content")
            let entry = try #require(try local.entry(at: path))
            let digest = try local.digest(of: path, entry: entry)
            #expect(digest == "sha256:ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73")
            #expect(try local.digest(of: path, entry: entry) == digest)
        }
    }

    @Test func aMissingSourceIsNamedWithItsLine() throws {
        try withScratchDirectory { scratch in
            let context = try context(scratch)
            #expect(
                errorMessage { _ = try keys(context, "FROM busybox\nRUN true\nCOPY nope.py /\n") }
                    == "Dockerfile:3: COPY: nope.py: not found in the build context")
            #expect(
                errorMessage { _ = try keys(context, "FROM busybox\nCOPY src/build.o /\n") }
                    == "Dockerfile:2: COPY: src/build.o: not in the build context (.dockerignore excludes src/build.o)")
            #expect(
                errorMessage { _ = try keys(context, "FROM busybox\nRUN --mount=target=/m,source=nope true\n") }
                    == "Dockerfile:2: RUN: /nope: not found in the build context")
        }
    }
}

extension String {
    /// The string with the first occurrence of `target` replaced.
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
