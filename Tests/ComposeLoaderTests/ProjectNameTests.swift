import BerthModel
import Testing

@testable import ComposeLoader

/// The project name: `-p`, `COMPOSE_PROJECT_NAME` (shell, then `.env`), the
/// top-level `name:`, then the directory, as docker compose decides it.
@Suite("project name")
struct ProjectNameTests {
    private let file = "name: from-file\nservices:\n  web:\n    image: web\n"

    private func name(_ dir: LoaderScratch, environment: [String: String] = [:], p: String? = nil) throws(BerthError)
        -> String
    {
        try dir.load(environment: environment) { $0.projectName = p }.project.name.rawValue
    }

    @Test("-p wins over everything")
    func dashP() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file)
        dir.write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n")
        #expect(try name(dir, environment: ["COMPOSE_PROJECT_NAME": "from-shell"], p: "from-p") == "from-p")
    }

    @Test("COMPOSE_PROJECT_NAME from the shell wins over .env, name: and the directory")
    func shellVariable() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file)
        dir.write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n")
        #expect(try name(dir, environment: ["COMPOSE_PROJECT_NAME": "from-shell"]) == "from-shell")
    }

    @Test("COMPOSE_PROJECT_NAME from .env wins over name:")
    func dotEnvVariable() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file)
        dir.write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n")
        #expect(try name(dir) == "from-dotenv")
    }

    @Test("an empty COMPOSE_PROJECT_NAME is no name")
    func emptyVariable() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file)
        #expect(try name(dir, environment: ["COMPOSE_PROJECT_NAME": ""]) == "from-file")
    }

    @Test("the top-level name: wins over the directory, and the last file's name counts")
    func topLevelName() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file)
        #expect(try name(dir) == "from-file")
        dir.write("second.yaml", "name: second\n")
        #expect(try dir.load(["compose.yaml", "second.yaml"]).project.name.rawValue == "second")
    }

    @Test("name: is interpolated and cleaned as docker compose cleans it")
    func topLevelNameInterpolatedAndCleaned() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "name: ${APP}.Dev\nservices:\n  web:\n    image: web\n")
        #expect(try name(dir, environment: ["APP": "My_App"]) == "my_appdev")
    }

    @Test("the name is printed at the top of the canonical form and prefixes resources")
    func nameInOutput() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file + "volumes:\n  data: {}\n")
        let loaded = try dir.load()
        #expect(Emitter.yaml(loaded.canonical).hasPrefix("name: from-file\nservices:\n"))
        #expect(loaded.project.volumes["data"]?.name == "from-file_data")
        #expect(loaded.project.networks["default"]?.name == "from-file_default")
    }

    @Test("without any name, the directory's name cleaned: My_App.v2 gives my_appv2")
    func directoryName() throws {
        let dir = LoaderScratch(directory: "My_App.v2")
        dir.write("compose.yaml", "services:\n  web:\n    image: web\n")
        #expect(try name(dir) == "my_appv2")
    }

    @Test("leading - and _ of the directory are dropped")
    func directoryLeadingPunctuation() throws {
        let dir = LoaderScratch(directory: "_-Project One")
        dir.write("compose.yaml", "services:\n  web:\n    image: web\n")
        #expect(try name(dir) == "projectone")
    }

    @Test("the directory of the first -f file names the project, not the working directory")
    func directoryOfFirstFile() throws {
        let dir = LoaderScratch()
        dir.write("Deploy/compose.yaml", "services:\n  web:\n    image: web\n")
        #expect(try dir.load(["Deploy/compose.yaml"]).project.name.rawValue == "deploy")
    }

    @Test("--project-directory names the project")
    func projectDirectory() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  web:\n    image: web\n")
        dir.makeDirectory("elsewhere")
        #expect(
            try dir.load(["compose.yaml"]) { $0.projectDirectory = "elsewhere" }.project.name.rawValue == "elsewhere")
    }

    @Test("an invalid -p is an error naming where it came from")
    func invalidDashP() {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file)
        #expect(
            dir.loadError { $0.projectName = "My App" }?.description == """
                project name "My App" (from -p) must contain only lower-case letters, digits, "-" and "_", and start with a letter or digit, at most 63 bytes
                """)
        #expect(
            dir.loadError { $0.projectName = "-dash" }?.description == """
                project name "-dash" (from -p) must contain only lower-case letters, digits, "-" and "_", and start with a letter or digit, at most 63 bytes
                """)
    }

    @Test("a name: longer than 63 bytes is an error, not silently the directory's name")
    func tooLongName() {
        let dir = LoaderScratch()
        let long = String(repeating: "a", count: 120)
        dir.write("compose.yaml", "name: \(long)\nservices:\n  web: {image: busybox}\n")
        #expect(
            dir.loadError()?.description == """
                project name "\(long.prefix(40))…" (from name:) is 120 bytes long; at most 63
                """)
        #expect(dir.loadError { $0.projectName = long }?.description.contains("at most 63 bytes") == true)
    }

    @Test("an invalid COMPOSE_PROJECT_NAME is an error too")
    func invalidVariable() {
        let dir = LoaderScratch()
        dir.write("compose.yaml", file)
        dir.write(".env", "COMPOSE_PROJECT_NAME=Upper\n")
        #expect(
            dir.loadError()?.description == """
                project name "Upper" (from COMPOSE_PROJECT_NAME) must contain only lower-case letters, digits, "-" and "_", and start with a letter or digit, at most 63 bytes
                """)
    }

    @Test("a directory name that cleans to nothing is an error that says what to do")
    func unusableDirectory() {
        let dir = LoaderScratch(directory: "___")
        dir.write("compose.yaml", "services:\n  web:\n    image: web\n")
        #expect(
            dir.loadError()?.description == """
                cannot make a project name from the directory "___"; set one with -p or a top-level name:
                """)
    }
}
