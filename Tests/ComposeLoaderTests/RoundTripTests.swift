import BerthModel
import Foundation
import Testing

@testable import ComposeLoader

/// `berth config` output is itself a compose file: loading it again gives the
/// same canonical form and the same config hashes, in YAML and in JSON.
@Suite("round trip through berth config")
struct RoundTripTests {
    enum Format: String, CaseIterable, Sendable {
        case yaml, json

        func print(_ node: Node) -> String {
            self == .yaml ? Emitter.yaml(node, escapeDollars: true) : Emitter.json(node, escapeDollars: true)
        }
    }

    /// Every corpus file and every example project.
    static let files: [String] = (CorpusFiles.corpus + CorpusFiles.examples).map(CorpusFiles.shortName)

    private static func absolute(_ name: String) -> String {
        name.hasPrefix("examples/") ? "\(CorpusFiles.repositoryRoot)/\(name)" : "\(CorpusFiles.corpusDirectory)/\(name)"
    }

    /// Loads `file`, prints it in `format`, loads the print from a temporary file
    /// with the original project directory and environment, and compares.
    private func roundTrip(
        _ file: String, _ format: Format, environment: [String: String] = [:],
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let directory = (file as NSString).deletingLastPathComponent
        let first = try CorpusFiles.load(file, environment: environment)
        let printed = format.print(first.canonical)

        let scratch = LoaderScratch()
        let copy = scratch.write("config.\(format.rawValue)", printed)
        var options = LoadOptions(workingDirectory: directory, environment: environment, standardInput: { [] })
        options.files = [copy]
        options.projectDirectory = directory
        let second = try ComposeLoader(options: options).load()

        #expect(
            format.print(second.canonical) == printed, "\(format) print changed when read back",
            sourceLocation: sourceLocation)
        #expect(Emitter.yaml(second.canonical) == Emitter.yaml(first.canonical), sourceLocation: sourceLocation)
        #expect(second.hashes == first.hashes, "config hashes changed", sourceLocation: sourceLocation)
        #expect(second.project.name == first.project.name, sourceLocation: sourceLocation)
        // Edge locations point into each file, so compare the shape only.
        let shape = { (graph: DependencyGraph) in graph.edges.map { "\($0.from) -> \($0.to) \($0.kind.rawValue)" } }
        #expect(shape(second.project.graph) == shape(first.project.graph), sourceLocation: sourceLocation)
        #expect(second.project.graph.startLevels == first.project.graph.startLevels, sourceLocation: sourceLocation)
    }

    @Test("the files are there")
    func found() {
        #expect(CorpusFiles.corpus.count >= 20)
    }

    @Test("YAML: load, print, load again gives the same", arguments: files)
    func yaml(_ name: String) throws {
        try roundTrip(Self.absolute(name), .yaml)
    }

    @Test("JSON: load, print, load again gives the same", arguments: files)
    func json(_ name: String) throws {
        try roundTrip(Self.absolute(name), .json)
    }

    @Test("a project using most features survives the round trip", arguments: Format.allCases)
    func richProject(_ format: Format) throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml",
            """
            name: rich
            x-common: &common
              restart: unless-stopped
              labels: {team: core}
            services:
              web:
                <<: *common
                build:
                  context: ./web
                  args: [VERSION=1.2]
                command: ["sh", "-c", "echo 'hi there' # not a comment"]
                ports: ["127.0.0.1:8080:80", "443:443/udp", "9000-9001:9000-9001"]
                volumes: ["./html:/usr/share/nginx/html:ro", "data:/data", "/tmp"]
                environment: {EMPTY: "", YES: "yes", NUM: "010", COLON: "a: b", HASH: "x #y", QUOTE: "it's \\"q\\""}
                depends_on:
                  db: {condition: service_healthy, restart: true}
                healthcheck: {test: "curl -f http://localhost", interval: 1m30s, retries: 3}
                networks:
                  front: {aliases: [www], priority: 10}
                  back:
                deploy: {resources: {limits: {memory: 512m, cpus: "0.5"}}}
                ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}
                extra_hosts: ["host.docker.internal:host-gateway"]
                secrets: [token]
                x-note: kept
              db:
                image: postgres:16
                healthcheck: {test: [CMD, pg_isready], interval: 5s}
                tmpfs: /run
                networks: [back]
            networks:
              front: {}
              back: {internal: true}
            volumes:
              data: {labels: [a=b]}
            secrets:
              token: {file: ./token.txt}
            """)
        try roundTrip(file, format)
    }

    @Test("an empty string, null and unusual text survive", arguments: Format.allCases)
    func unusualText(_ format: Format) throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml",
            """
            services:
              web:
                image: "null"
                command: ["", "~", "true", "1e3", "-", "- x", "[a]", "{a}", "*a", "&a", "!t", "%p", "@x", "`x`", "multi\\nline", "tab\\there", "é ✓"]
                environment: {BARE: null, SPACES: "  padded  "}
            """)
        try roundTrip(file, format)
    }

    @Test("a literal $ survives (docker compose prints it as $$)", arguments: Format.allCases)
    func literalDollar(_ format: Format) throws {
        let dir = LoaderScratch()
        let file = dir.write("compose.yaml", "services:\n  web:\n    image: x\n    command: echo $$HOME $${X}\n")
        try roundTrip(file, format)
    }
}
