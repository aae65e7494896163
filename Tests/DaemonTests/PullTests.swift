import BerthModel
import DaemonAPI
import Foundation
import RuntimeKit
import TestSupport
import Testing

@testable import DaemonCore

/// `up` pulls what is missing before it makes anything, by the pull
/// policies' rules; a tag that moved recreates; `berth pull` reports per
/// image and per layer. Over the fake runtime's registry.
struct PullTests {
    typealias Fixture = DaemonServiceTests

    @Test(
        arguments: [
            // policy, present, builds, last pulled (seconds ago; nil: never), pulls
            ("always", true, false, nil, true),
            ("never", false, false, nil, false),
            ("missing", true, false, nil, false),
            ("missing", false, false, nil, true),
            ("if_not_present", false, false, nil, true),
            ("missing", false, true, nil, false),
            ("build", false, false, nil, false),
            ("daily", true, false, 3_600.0, false),
            ("daily", true, false, 90_000.0, true),
            ("weekly", true, false, 90_000.0, false),
            ("every_12h", true, false, 50_000.0, true),
            ("every_1h30m", true, false, 3_600.0, false),
            ("daily", true, false, nil, true),
        ] as [(String, Bool, Bool, Double?, Bool)])
    func pullPolicyDecidesAsDockerCompose(
        policy: String, present: Bool, builds: Bool, ago: Double?, pulls: Bool
    ) throws {
        let now = 1_000_000.0
        let decided = try PullPolicy(parsing: policy).shouldPull(
            present: present, builds: builds, lastPulled: ago.map { now - $0 }, now: now)
        #expect(decided == pulls)
    }

    @Test func anUnknownPolicyIsNamed() {
        #expect(throws: BerthError.self) { try PullPolicy(parsing: "every_soon", service: "web") }
        #expect((try? PullPolicy(parsing: "sometimes", service: "web")) == nil)
    }

    @Test func upPullsWhatIsMissingFirstAndRecordsTheDigest() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        await runtime.addRemoteImage("registry.test/app:1", digest: "sha256:one", layers: ["sha256:l1", "sha256:l2"])
        let (service, scratch) = try Fixture.service(runtime)
        defer { try? scratch.remove() }
        let project = try Fixture.project(
            """
            name: shop
            services:
              app: {image: "registry.test/app:1"}
              db: {image: busybox}
            """)
        let lines = Fixture.Lines()
        _ = try await service.up(UpRequest(project: project), report: lines.sink)
        let calls = await runtime.calls
        // The pull comes before any container is made; busybox is present.
        #expect(calls.first == "pull registry.test/app:1")
        #expect(!calls.contains("pull busybox"))
        #expect(lines.all.contains("Image registry.test/app:1 Pulled"))
        #expect(lines.all.contains("Layer l1 Pull complete"))
        let app = try #require(
            try await runtime.containers(matching: .project("shop")).first { $0.name == "shop-app-1" })
        #expect(app.labels[ComposeLabel.image] == "sha256:one")
    }

    @Test func aServicesPlatformIsPulled() async throws {
        let runtime = FakeRuntime()
        await runtime.addRemoteImage("registry.test/app:1")
        let (service, scratch) = try Fixture.service(runtime)
        defer { try? scratch.remove() }
        let project = try Fixture.project(
            "name: shop\nservices:\n  app: {image: \"registry.test/app:1\", platform: linux/arm64}\n")
        _ = try await service.up(UpRequest(project: project), report: { _ in })
        #expect(await runtime.calls.first == "pull registry.test/app:1 --platform linux/arm64")
    }

    @Test func aMovedTagRecreatesOnlyWhenPulled() async throws {
        let runtime = FakeRuntime()
        await runtime.addRemoteImage("registry.test/app:latest", digest: "sha256:one")
        let (service, scratch) = try Fixture.service(runtime)
        defer { try? scratch.remove() }
        let project = try Fixture.project("name: shop\nservices:\n  app: {image: \"registry.test/app:latest\"}\n")
        _ = try await service.up(UpRequest(project: project), report: { _ in })
        let first = try await runtime.containers(matching: .project("shop")).map(\.id)
        await runtime.addRemoteImage("registry.test/app:latest", digest: "sha256:two")
        // missing: present, so not pulled; nothing changes.
        let same = try await service.up(UpRequest(project: project), report: { _ in })
        #expect(same.unchanged)
        // always: the new digest comes, and the container is made anew.
        let moved = try await service.up(UpRequest(project: project, pull: "always"), report: { _ in })
        #expect(!moved.unchanged)
        let second = try await runtime.containers(matching: .project("shop"))
        #expect(second.map(\.id) != first)
        #expect(second.first?.labels[ComposeLabel.image] == "sha256:two")
    }

    @Test func pullPolicyNeverWithoutTheImageFailsBeforeAnythingIsMade() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Fixture.service(runtime)
        defer { try? scratch.remove() }
        let project = try Fixture.project(
            "name: shop\nservices:\n  app: {image: \"nosuch:1\", pull_policy: never}\n  db: {image: busybox}\n")
        await #expect(throws: BerthError.self) { try await service.up(UpRequest(project: project), report: { _ in }) }
        #expect(await runtime.calls.isEmpty)
    }

    @Test func aFailedPullIsOneLineAndNothingIsMade() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try Fixture.service(runtime)
        defer { try? scratch.remove() }
        let project = try Fixture.project("name: shop\nservices:\n  app: {image: \"registry.test/nosuch:1\"}\n")
        do {
            _ = try await service.up(UpRequest(project: project), report: { _ in })
            Issue.record("up succeeded without its image")
        } catch let error as BerthError {
            #expect(error.code == .manifestUnknown)
            #expect(error.line.contains("registry.test/nosuch:1"), "\(error.line)")
        }
        #expect(await runtime.calls == ["pull registry.test/nosuch:1"])
    }

    @Test func pullWithIgnoreFailuresPullsTheRest() async throws {
        let runtime = FakeRuntime()
        await runtime.addRemoteImage("a:1")
        let (service, scratch) = try Fixture.service(runtime)
        defer { try? scratch.remove() }
        let lines = Fixture.Lines()
        let result = try await service.pullImages(
            ImagePullRequest(references: ["a:1", "b:1", "a:1"], ignoreFailures: true), report: lines.sink)
        #expect(result.images.map(\.reference) == ["a:1"])
        #expect(result.failures.count == 1)
        #expect(lines.all.contains("Image b:1 Error"))
        #expect(await runtime.calls.sorted() == ["pull a:1", "pull b:1"])
    }
}

@Suite struct PlatformMatchTests {
    @Test func platformsMatchAsDockerNormalizesThem() {
        #expect(DaemonService.platform("linux/amd64", matches: "linux/amd64"))
        #expect(DaemonService.platform("linux/amd64", matches: "linux/x86_64"))
        #expect(DaemonService.platform("linux/arm64", matches: "linux/aarch64"))
        #expect(DaemonService.platform("linux/arm64", matches: "linux/arm64/v8"))
        #expect(!DaemonService.platform("linux/amd64", matches: "linux/arm64"))
        #expect(!DaemonService.platform("linux/amd64", matches: "windows/amd64"))
    }
}
