import BerthModel
import Foundation
import TestSupport
import Testing

@testable import ComposeLoader

/// Which file is loaded when none is named, which directory is the project's,
/// and which `.env` applies.
@Suite("file discovery")
struct FileDiscoveryTests {
    private func service(_ image: String) -> String { "services:\n  web:\n    image: \(image)\n" }

    @Test("a compose file in a parent directory is found; its directory is the project's")
    func parentDirectory() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  web:\n    build: ./web\n")
        dir.makeDirectory("a/b/c")
        let loaded = try dir.load { $0.workingDirectory = dir.path("a/b/c") }
        #expect(loaded.files == ["\(dir.root)/compose.yaml"])
        #expect(loaded.project.name.rawValue == "proj")
        #expect(loaded.project.services["web"]?.build?.context == "\(dir.root)/web")
    }

    @Test("the nearest directory wins")
    func nearestWins() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", service("outer"))
        dir.write("inner/compose.yml", service("inner"))
        dir.makeDirectory("inner/deeper")
        let loaded = try dir.load { $0.workingDirectory = dir.path("inner/deeper") }
        #expect(loaded.project.services["web"]?.image == "inner")
        #expect(loaded.project.name.rawValue == "inner")
    }

    @Test("compose.yaml, then compose.yml, then docker-compose.yaml, then docker-compose.yml")
    func order() throws {
        let dir = LoaderScratch()
        let names = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]
        for name in names { dir.write(name, service(name)) }
        for name in names {
            let loaded = try dir.load()
            #expect(loaded.project.services["web"]?.image == name)
            #expect(loaded.files == ["\(dir.root)/\(name)"])
            try FileManager.default.removeItem(atPath: dir.path(name))
        }
    }

    @Test("a directory named compose.yaml is not a compose file")
    func directoryIsSkipped() throws {
        let dir = LoaderScratch()
        dir.makeDirectory("compose.yaml")
        dir.write("compose.yml", service("yml"))
        #expect(try dir.load().project.services["web"]?.image == "yml")
    }

    /// True when no compose file lies in /tmp or above, where the search ends.
    private static var parentsAreClean: Bool {
        var dir = ScratchDirectory.parent
        while true {
            for name in ComposeLoader.defaultFileNames where FileManager.default.fileExists(atPath: "\(dir)/\(name)") {
                return false
            }
            if dir == "/" || dir.isEmpty { return true }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }

    @Test("no compose file anywhere: an error that says where it looked and what to do", .enabled(if: parentsAreClean))
    func noFile() {
        let dir = LoaderScratch()
        dir.makeDirectory("sub")
        #expect(
            dir.loadError { $0.workingDirectory = dir.path("sub") }?.description == """
                no compose file found in \(dir.root)/sub or its parents \
                (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml); name one with -f
                """)
    }

    @Test("--project-directory: the file is looked for there, relative paths and .env come from there")
    func projectDirectory() throws {
        let dir = LoaderScratch()
        dir.write("app/compose.yaml", "services:\n  web:\n    image: web:${TAG}\n    build: ./src\n")
        dir.write("app/.env", "TAG=app\n")
        dir.write(".env", "TAG=cwd\n")
        let loaded = try dir.load { $0.projectDirectory = "app" }
        let web = try #require(loaded.project.services["web"])
        #expect(web.image == "web:app")
        #expect(web.build?.context == "\(dir.root)/app/src")
        #expect(loaded.project.name.rawValue == "app")
        #expect(loaded.project.workingDirectory == "\(dir.root)/app")
    }

    @Test("--project-directory with -f elsewhere: paths resolve from the project directory")
    func projectDirectoryWithFile() throws {
        let dir = LoaderScratch()
        dir.write("files/compose.yaml", "services:\n  web:\n    build: ./src\n")
        dir.makeDirectory("root")
        let loaded = try dir.load(["files/compose.yaml"]) { $0.projectDirectory = "root" }
        #expect(loaded.project.services["web"]?.build?.context == "\(dir.root)/root/src")
    }

    @Test(".env of the project directory is read; -f in another directory reads that directory's .env")
    func dotEnvLocation() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  web:\n    image: web:${TAG}\n")
        dir.write(".env", "TAG=root\n")
        dir.write("sub/compose.yaml", "services:\n  web:\n    image: web:${TAG}\n")
        dir.write("sub/.env", "TAG=sub\n")
        #expect(try dir.load().project.services["web"]?.image == "web:root")
        #expect(try dir.load(["sub/compose.yaml"]).project.services["web"]?.image == "web:sub")
    }

    @Test("--env-file replaces .env; several are read in order")
    func envFileReplacesDotEnv() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  web:\n    image: web:${TAG}-${ONLY_DOTENV:-unset}-${SECOND:-none}\n")
        dir.write(".env", "TAG=dotenv\nONLY_DOTENV=yes\n")
        dir.write("custom.env", "TAG=custom\n")
        dir.write("second.env", "SECOND=${TAG}2\n")
        #expect(try dir.load { $0.envFiles = ["custom.env"] }.project.services["web"]?.image == "web:custom-unset-none")
        #expect(
            try dir.load { $0.envFiles = ["custom.env", "second.env"] }.project.services["web"]?.image
                == "web:custom-unset-custom2")
    }

    @Test("a missing --env-file is an error")
    func missingEnvFile() {
        let dir = LoaderScratch()
        dir.write("compose.yaml", service("x"))
        #expect(dir.loadError { $0.envFiles = ["nope.env"] }?.description == "\(dir.root)/nope.env: no such file")
    }

    @Test("the shell environment wins over .env")
    func shellWins() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  web:\n    image: web:${TAG}\n    environment: [TAG, OTHER]\n")
        dir.write(".env", "TAG=dotenv\nOTHER=from-dotenv\n")
        let web = try #require(try dir.load(environment: ["TAG": "shell"]).project.services["web"])
        #expect(web.image == "web:shell")
        // A bare KEY takes the same value.
        #expect(web.environment == ["TAG": "shell", "OTHER": "from-dotenv"])
    }

    @Test("a bad line in .env is reported with its place")
    func badDotEnv() {
        let dir = LoaderScratch()
        dir.write("compose.yaml", service("x"))
        dir.write(".env", "GOOD=1\nBAD LINE\n")
        #expect(dir.loadError()?.description == "\(dir.root)/.env:2:1: key cannot contain a space")
    }
}
