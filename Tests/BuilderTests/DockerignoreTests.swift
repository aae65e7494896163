import BerthModel
import Testing

@testable import Builder

/// One pattern and one path, with docker's verdict (moby/patternmatcher's own cases).
private let singlePatterns: [(String, String, Bool)] = [
    ("**", "file", true), ("**", "file/", true), ("**/", "file", true), ("**/", "file/", true), ("**", "/", true),
    ("**", "dir/file", true), ("**/", "dir/file", true), ("**/**", "dir/file", true), ("**/**", "dir/file/", true),
    ("dir/**", "dir/file", true), ("dir/**", "dir/file/", true), ("dir/**", "dir/dir2/file", true),
    ("**/dir", "dir", true), ("**/dir", "dir/file", true), ("**/dir2/*", "dir/dir2/file", true),
    ("**/dir2/**", "dir/dir2/dir3/file", true), ("**file", "file", true), ("**file", "dir/file", true),
    ("**/file", "dir/file", true), ("**file", "dir/dir/file", true), ("**/file", "dir/dir/file", true),
    ("**/file*", "dir/dir/file", true), ("**/file*", "dir/dir/file.txt", true),
    ("**/file*txt", "dir/dir/file.txt", true),
    ("**/file*.txt", "dir/dir/file.txt", true), ("**/file*.txt*", "dir/dir/file.txt", true),
    ("**/**/*.txt", "dir/dir/file.txt", true), ("**/**/*.txt2", "dir/dir/file.txt", false),
    ("**/*.txt", "file.txt", true),
    ("**/**/*.txt", "file.txt", true), ("a**/*.txt", "a/file.txt", true), ("a**/*.txt", "a/dir/file.txt", true),
    ("a**/*.txt", "a/dir/dir/file.txt", true), ("a/*.txt", "a/dir/file.txt", false), ("a/*.txt", "a/file.txt", true),
    ("a/*.txt**", "a/file.txt", true), ("a[b-d]e", "ae", false), ("a[b-d]e", "ace", true), ("a[b-d]e", "aae", false),
    ("a[^b-d]e", "aze", true), (".*", ".foo", true), (".*", "foo", false), ("abc.def", "abcdef", false),
    ("abc.def", "abc.def", true), ("abc.def", "abcZdef", false), ("abc?def", "abcZdef", true),
    ("abc?def", "abcdef", false),
    ("a\\\\", "a\\", true), ("**/foo/bar", "foo/bar", true), ("**/foo/bar", "dir/foo/bar", true),
    ("**/foo/bar", "dir/dir2/foo/bar", true), ("abc/**", "abc", false), ("abc/**", "abc/def", true),
    ("abc/**", "abc/def/ghi", true), ("**/.foo", ".foo", true), ("**/.foo", "bar.foo", false),
    ("a(b)c/def", "a(b)c/def", true), ("a(b)c/def", "a(b)c/xyz", false), ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true), ("a\\*b", "a*b", true),
    ("*", "fileutils.go", true), ("*.go", "fileutils.go", true), ("docs", "docs/README.md", true),
    ("docs/", "docs/README.md", true), ("./docs", "docs/README.md", true),
    ("docs/../src", "src/main.c", true), ("*/*.png", "img/a.png", true), ("*/*.png", "a.png", false),
]

/// Several patterns (later lines win; `!` makes an exception) and one path.
private let patternLists: [([String], String, Bool)] = [
    (["!fileutils.go", "*.go"], "fileutils.go", true), (["docs", "!docs/README.md"], "docs/README.md", false),
    (["docs/", "!docs/README.md"], "docs/README.md", false), (["docs/*", "!docs/README.md"], "docs/README.md", false),
    (["*.go", "!fileutils.go"], "fileutils.go", false), (["**", "!util/docker/web"], "util/docker/web/foo", false),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", true),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false),
    (["*.md", "!README*.md", "README-secret.md"], "README.md", false),
    (["*.md", "!README*.md", "README-secret.md"], "README-secret.md", true), (["*.go"], ".", false),
    ([], "any/path", false),
]

@Suite(".dockerignore: docker's patterns and exceptions")
struct DockerignoreTests {
    @Test(arguments: singlePatterns)
    func onePattern(_ pattern: String, _ path: String, _ expected: Bool) throws {
        #expect(try PatternMatcher([pattern]).matches(path) == expected)
    }

    @Test(arguments: patternLists)
    func laterPatternsWin(_ patterns: [String], _ path: String, _ expected: Bool) throws {
        #expect(try PatternMatcher(patterns).matches(path) == expected)
    }

    @Test func malformedPatternsAreRefused() {
        #expect(errorMessage { _ = try PatternMatcher(["["]) } == "malformed pattern [")
        #expect(errorMessage { _ = try PatternMatcher(["a\\"]) } == "malformed pattern a\\")
        #expect(errorMessage { _ = try PatternMatcher(["!"]) } == "illegal exception pattern: \"!\"")
        #expect(errorCode { _ = try PatternMatcher(["[]"]) } == .buildContext)
    }

    @Test func theFileIsReadAsDockerReadsIt() {
        let text = "\u{FEFF}# comment\n  *.log  \n\n/build/\n! ./keep.log\n   # not a comment, a pattern\n./a/../b\r\n"
        #expect(
            IgnoreFile.patterns(Array(text.utf8)) == ["*.log", "build", "!keep.log", "# not a comment, a pattern", "b"])
    }

    @Test func exceptionsAreKnown() throws {
        #expect(try PatternMatcher(["docs", "  !docs/README.md"]).hasExceptions)
        #expect(try !PatternMatcher(["docs", "", "config"]).hasExceptions)
    }
}
