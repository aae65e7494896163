import Foundation
import Testing

/// `berth config` as a user runs it: exit codes, streams, flags.
@Suite("berth config")
struct ConfigCommandTests {
    let sample = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            depends_on: [db]
            profiles: [front]
          db:
            image: postgres:16
            volumes: [data:/var/lib/postgresql/data]
        volumes:
          data:
        """

    @Test func printsTheCanonicalProjectFromTheCurrentDirectory() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("My App/compose.yaml", "services:\n  web:\n    image: nginx\n    ports: [80]\n")
        let result = try berth.run(["config"], cwd: berth.directory.appendingPathComponent("My App"))
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(
            result.stdout == """
                name: myapp
                services:
                  web:
                    image: nginx
                    networks:
                      default: null
                    ports:
                      - mode: ingress
                        target: 80
                        protocol: tcp
                networks:
                  default:
                    name: myapp_default

                """)
    }

    @Test func globalFlagsMayComeBeforeTheSubcommand() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("a.yaml", sample)
        let before = try berth.run(["-f", "a.yaml", "-p", "demo", "--profile", "front", "config", "--services"])
        let after = try berth.run(["config", "-f", "a.yaml", "-p", "demo", "--profile", "front", "--services"])
        #expect(before.status == 0)
        #expect(before.stdout == "db\nweb\n")
        #expect(after.stdout == before.stdout)
    }

    @Test func listsVolumesNetworksProfilesImages() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", sample)
        #expect(try berth.run(["config", "--volumes"]).stdout == "data\n")
        #expect(try berth.run(["config", "--networks"]).stdout == "default\n")
        #expect(try berth.run(["config", "--profiles"]).stdout == "front\n")
        #expect(try berth.run(["config", "--images"]).stdout == "postgres:16\n")
        #expect(try berth.run(["config", "--images", "web"]).stdout == "postgres:16\nnginx:1.27\n")
    }

    @Test func hashesAreStableAndChangeWithTheService() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", sample)
        let first = try berth.run(["config", "--hash", "*"])
        #expect(first.status == 0)
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("db "))
        #expect(lines[0].count == "db ".count + 64)
        #expect(try berth.run(["config", "--hash", "*"]).stdout == first.stdout)
        try berth.write("compose.yaml", sample.replacingOccurrences(of: "postgres:16", with: "postgres:17"))
        #expect(try berth.run(["config", "--hash", "db"]).stdout != first.stdout)
    }

    @Test func readsStandardInputWithDash() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        let result = try berth.run(
            ["config", "-f", "-", "-p", "piped", "--format", "json"],
            stdin: "services:\n  a:\n    image: busybox\n    command: echo hi\n")
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"name\": \"piped\""))
        #expect(result.stdout.contains("\"command\": [\n        \"echo\",\n        \"hi\"\n      ]"))
    }

    @Test func quietValidatesOnly() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", sample)
        let result = try berth.run(["config", "-q"])
        #expect(result.status == 0)
        #expect(result.stdout == "")
    }

    @Test func anErrorIsOneLineWithItsPlaceAndExitStatusOne() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", "services:\n  web:\n    image: nginx\n    ports:\n      - \"70000:80\"\n")
        let result = try berth.run(["config"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        let path = berth.directory.appendingPathComponent("compose.yaml").path
        #expect(
            result.stderr
                == "\(path):5:9: services.web.ports[0]: \"70000:80\" is not a valid port: the host port must be 0-65535 (or a range like 8000-8010)\n"
        )
    }

    @Test func anOutputFileThatCannotBeWrittenIsOneError() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", "services:\n  web:\n    image: nginx\n")
        let result = try berth.run(["config", "-o", "missing/out.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr == "missing/out.yaml: cannot write: No such file or directory\n")
    }

    @Test func noComposeFileSaysWhereItLooked() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        let result = try berth.run(["config"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("no compose file found in \(berth.directory.path) or its parents"))
        #expect(!result.stderr.contains("Fatal"))
    }

    @Test func aCycleIsNamedWhole() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write(
            "compose.yaml",
            """
            services:
              a: {image: x, depends_on: [b]}
              b: {image: x, depends_on: [a]}
            """)
        let result = try berth.run(["config"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("\(berth.directory.path)/compose.yaml:2:30: dependency cycle: a -> b -> a"))
    }

    @Test func unknownFlagsAreUsageErrors() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        let result = try berth.run(["config", "--frobnicate"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Unknown option '--frobnicate'"))
    }

    /// The common forms skip ArgumentParser (`ConfigRequest.quick`); the same
    /// request spelled so that ArgumentParser reads it (`--opt=value`) must give
    /// the same streams and status, errors included.
    @Test func quickArgumentsMatchArgumentParser() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("a.yaml", sample)
        try berth.write("bad.yaml", "services:\n  web:\n    image: [nginx]\n")
        let pairs: [([String], [String])] = [
            (["-f", "a.yaml", "config"], ["config", "--file=a.yaml"]),
            (
                ["config", "-f", "a.yaml", "-p", "demo", "--profile", "front", "--format", "json", "--no-interpolate"],
                [
                    "config", "--file=a.yaml", "--project-name=demo", "--profile=front", "--format=json",
                    "--no-interpolate",
                ]
            ),
            (["config", "--file", "a.yaml", "-q"], ["config", "--file=a.yaml", "--quiet"]),
            (["config", "-f", "bad.yaml"], ["config", "--file=bad.yaml"]),
            (["config", "-f", "missing.yaml"], ["config", "--file=missing.yaml"]),
        ]
        for (quick, parsed) in pairs {
            let a = try berth.run(quick), b = try berth.run(parsed)
            #expect(a.status == b.status, "\(quick)")
            #expect(a.stdout == b.stdout, "\(quick)")
            #expect(a.stderr == b.stderr, "\(quick)")
        }
        // Forms it leaves to ArgumentParser still work or fail as before.
        #expect(try berth.run(["config", "-f", "a.yaml", "--format", "xml"]).status != 0)
        #expect(try berth.run(["config", "-f", "a.yaml", "--format", "yaml", "--format", "json"]).status == 0)
    }

    @Test func outputFileAndRoundTrip() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", sample)
        #expect(try berth.run(["config", "-o", "out.yaml"]).status == 0)
        let printed = try String(contentsOf: berth.directory.appendingPathComponent("out.yaml"), encoding: .utf8)
        let again = try berth.run(["config", "-f", "out.yaml"])
        #expect(again.status == 0)
        #expect(again.stdout == printed)
    }

    @Test func everyExampleLoads() throws {
        let examples = BerthRunner.repository.appendingPathComponent("examples")
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        let projects = try FileManager.default.contentsOfDirectory(atPath: examples.path).sorted()
        #expect(!projects.isEmpty)
        for project in projects {
            let dir = examples.appendingPathComponent(project)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("compose.yaml").path) else {
                continue
            }
            let result = try berth.run(["config", "-q"], cwd: dir)
            #expect(result.status == 0, "examples/\(project): \(result.stderr)")
        }
    }
}
