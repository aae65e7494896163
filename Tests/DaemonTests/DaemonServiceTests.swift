import BerthModel
import ComposeLoader
import DaemonAPI
import Foundation
import Logging
import RuntimeKit
import Supervisor
import Synchronization
import TestSupport
import Testing

@testable import DaemonCore

/// The daemon's service over the fake runtime: what `up`, `down`, `ps` and
/// the lifecycle commands do and report, without root.
struct DaemonServiceTests {
    static let compose = """
        name: shop
        services:
          db:
            image: busybox
          web:
            image: busybox
            depends_on: [db]
            ports: ["8080:80"]
          job:
            image: busybox
            restart: "no"
        volumes:
          data: {}
        """

    /// Loads YAML as the CLI would.
    static func project(_ yaml: String) throws -> Project {
        try withScratchDirectory(prefix: "berth-daemon") { directory in
            try directory.write("compose.yaml", yaml)
            var options = LoadOptions()
            options.workingDirectory = directory.path
            options.environment = [:]
            return try ComposeLoader(options: options).load().project
        }
    }

    /// A service over `runtime` with its root in a scratch directory, which the test removes.
    static func service(_ runtime: FakeRuntime) throws -> (DaemonService, ScratchDirectory) {
        let scratch = try ScratchDirectory(prefix: "berth-daemon-root")
        let root = scratch.path
        let service = DaemonService(
            runtime: runtime, supervisor: SupervisorService(runtime: runtime), names: nil, root: root,
            info: DaemonInfo(version: "test", pid: 1, root: root, socket: root + "/s"), logger: Logger(label: "test"))
        return (service, scratch)
    }

    /// Collects progress lines from concurrent reporters.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var sink: ProgressSink {
            { event in self.lines.withLock { $0.append("\(event.kind.rawValue) \(event.name) \(event.status)") } }
        }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func upCreatesTheStackThenChangesNothing() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Self.service(runtime)
        defer { try? scratch.remove() }
        let project = try Self.project(Self.compose)

        let first = Lines()
        let result = try await service.up(UpRequest(project: project), report: first.sink)
        #expect(!result.unchanged)
        #expect(result.containers.map(\.name) == ["shop-db-1", "shop-job-1", "shop-web-1"])
        #expect(first.all.contains("Network shop_default Created"))
        #expect(first.all.contains("Container shop-web-1 Started"))
        // db starts before web: its Started line comes first.
        let dbStarted = first.all.firstIndex(of: "Container shop-db-1 Started") ?? .max
        let webStarting = first.all.firstIndex(of: "Container shop-web-1 Starting") ?? -1
        #expect(dbStarted < webStarting)

        let second = Lines()
        let again = try await service.up(UpRequest(project: project), report: second.sink)
        #expect(again.unchanged)
        #expect(second.all.isEmpty)
    }

    @Test func psShowsStateAndStatusInDockersWords() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Self.service(runtime)
        defer { try? scratch.remove() }
        _ = try await service.up(UpRequest(project: try Self.project(Self.compose)), report: { _ in })
        let job1 = try #require(
            try await runtime.containers(matching: .project("shop")).first { $0.name == "shop-job-1" })
        await runtime.exit(job1.id, code: 3)
        let running = try await service.summaries(project: "shop", services: [], all: false)
        #expect(running.map(\.name) == ["shop-db-1", "shop-web-1"])
        let all = try await service.summaries(project: "shop", services: [], all: true)
        let job = try #require(all.first { $0.service == "job" })
        #expect(job.state == "exited")
        #expect(job.exitCode == 3)
        #expect(job.status.hasPrefix("Exited (3)"))
        let web = try #require(all.first { $0.service == "web" })
        #expect(web.status.hasPrefix("Up "))
        #expect(web.project == "shop")
    }

    @Test func downRemovesContainersAndNetworksAndVolumesOnlyWithV() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Self.service(runtime)
        defer { try? scratch.remove() }
        let yaml = Self.compose.replacingOccurrences(
            of: "    image: busybox\n    depends_on",
            with: "    image: busybox\n    volumes: [\"data:/data\"]\n    depends_on")
        let project = try Self.project(yaml)
        _ = try await service.up(UpRequest(project: project), report: { _ in })
        #expect(try await runtime.volumes(matching: .project("shop")).map(\.name) == ["shop_data"])

        let lines = Lines()
        try await service.down(DownRequest(projectName: "shop", project: project), report: lines.sink)
        #expect(try await runtime.containers(matching: .project("shop")).isEmpty)
        #expect(try await runtime.networks(matching: .project("shop")).isEmpty)
        #expect(try await runtime.volumes(matching: .project("shop")).map(\.name) == ["shop_data"])
        #expect(lines.all.contains("Container shop-web-1 Removed"))

        try await service.down(
            DownRequest(projectName: "shop", project: project, removeVolumes: true), report: { _ in })
        #expect(try await runtime.volumes(matching: .project("shop")).isEmpty)
    }

    @Test func aFailedStartRemovesWhatItMadeForThatService() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Self.service(runtime)
        defer { try? scratch.remove() }
        let yaml = Self.compose.replacingOccurrences(
            of: "  job:\n    image: busybox", with: "  job:\n    image: missing")
        await #expect(throws: BerthError.self) {
            _ = try await service.up(UpRequest(project: try Self.project(yaml)), report: { _ in })
        }
        let names = try await runtime.containers(matching: .project("shop")).map(\.name)
        #expect(!names.contains("shop-job-1"))
    }

    @Test func stopIsAUserStopAndStartBringsItBack() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Self.service(runtime)
        defer { try? scratch.remove() }
        _ = try await service.up(UpRequest(project: try Self.project(Self.compose)), report: { _ in })
        try await service.act(
            ContainerActionRequest(projectName: "shop", action: .stop, services: ["web"]), report: { _ in })
        var web = try #require(
            try await runtime.containers(matching: .project("shop")).first { $0.name == "shop-web-1" })
        #expect(!web.state.isRunning)
        try await service.act(
            ContainerActionRequest(projectName: "shop", action: .start, services: ["web"]), report: { _ in })
        web = try #require(try await runtime.containers(matching: .project("shop")).first { $0.name == "shop-web-1" })
        #expect(web.state.isRunning)
    }

    @Test func unknownServiceIsNamed() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Self.service(runtime)
        defer { try? scratch.remove() }
        _ = try await service.up(UpRequest(project: try Self.project(Self.compose)), report: { _ in })
        await #expect(throws: BerthError.self) {
            _ = try await service.exec(ExecRequest(projectName: "shop", service: "nope", command: ["true"])) { _ in }
        }
    }

    @Test func anImageHealthcheckRunsWhenTheServiceNamesNoTest() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        await runtime.addImage(
            "pg", healthcheck: Healthcheck(test: ["CMD", "pg_isready"], interval: 2_000_000_000, retries: 4))
        let (service, scratch) = try Self.service(runtime)
        defer { try? scratch.remove() }
        let yaml = """
            name: shop
            services:
              db:
                image: pg
                healthcheck: {interval: 5s}
              plain:
                image: pg
                healthcheck: {disable: true}
              own:
                image: pg
                healthcheck: {test: ["CMD", "true"]}
            """
        let project = try Self.project(yaml)
        _ = try await service.up(UpRequest(project: project), report: { _ in })
        let containers = try await runtime.containers(matching: .project("shop"))
        func supervised(_ name: String) async throws -> SupervisedContainer {
            let info = try #require(containers.first { $0.composeService == name })
            let definition = try #require(project.services[name])
            return await SupervisingRuntime.supervised(info, service: definition, runtime: runtime)
        }
        let db = try await supervised("db")
        #expect(db.healthcheck?.test == ["CMD", "pg_isready"])
        #expect(db.healthcheck?.interval == 5_000_000_000, "the service's interval wins")
        #expect(db.healthcheck?.retries == 4, "the image's retries fill the gap")
        #expect(try await supervised("plain").probeCommand == nil)
        #expect(try await supervised("own").healthcheck?.test == ["CMD", "true"])
    }

    /// `up --wait web` waits for what the plan started for web: here db,
    /// which web reaches through `links` alone (no `depends_on`), and whose
    /// probe never runs (the supervisor's clock stands still).
    @Test func waitCoversEveryDependencyThePlanStarted() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let scratch = try ScratchDirectory(prefix: "berth-daemon-root")
        defer { try? scratch.remove() }
        let supervisor = SupervisorService(runtime: runtime, clock: FakeClock())
        let service = DaemonService(
            runtime: runtime, supervisor: supervisor, names: nil, root: scratch.path,
            info: DaemonInfo(version: "test", pid: 1, root: scratch.path, socket: scratch.path + "/s"),
            logger: Logger(label: "test"))
        let project = try Self.project(
            """
            name: shop
            services:
              db:
                image: busybox
                healthcheck: {test: ["CMD", "true"]}
              web:
                image: busybox
                links: [db]
            """)
        let request = UpRequest(project: project, services: ["web"], wait: true, waitTimeout: 0.3)
        let error = await #expect(throws: BerthError.self) { _ = try await service.up(request, report: { _ in }) }
        #expect(
            error?.message
                == "timed out after 0.3s waiting for the stack: shop-db-1 is starting (last probe: no output)")
        await supervisor.shutdown()
    }

    @Test(arguments: [
        (0.2, "Less than a second"), (1.0, "1 second"), (42.0, "42 seconds"), (61.0, "About a minute"),
        (600.0, "10 minutes"), (3600.0, "About an hour"), (7200.0, "2 hours"), (259_200.0, "3 days"),
    ])
    func humanDurations(seconds: Double, text: String) {
        #expect(HumanDuration.text(seconds) == text)
    }
}
