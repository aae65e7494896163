import BerthModel
import Synchronization
import TestSupport
import Testing

@testable import Builder

/// The executor over a fake backend: what runs, what the cache answers,
/// what a failure says, which stages are built.
@Suite struct ImageBuilderTests {
    static let dockerfile = """
        FROM busybox AS build
        WORKDIR /src
        COPY app.txt .
        RUN cat app.txt > out.txt
        FROM busybox AS unused
        RUN echo never
        FROM busybox
        COPY --from=build /src/out.txt /out.txt
        COPY conf.txt /conf.txt
        RUN echo done
        CMD ["cat", "/out.txt"]
        """

    private func build(
        _ scratch: ScratchDirectory, _ backend: FakeBackend, noCache: Bool = false,
        events: EventLog = EventLog()
    ) async throws -> ImageBuildResult {
        let builder = try ImageBuilder(backend: backend, cacheDirectory: scratch.path("cache"))
        return try await builder.build(
            ImageBuildRequest(context: scratch.path("context"), tags: ["app:1"], noCache: noCache)
        ) { event in events.events.withLock { $0.append(event) } }
    }

    private func context(_ scratch: ScratchDirectory) throws {
        _ = try scratch.write("context/Dockerfile", Self.dockerfile)
        _ = try scratch.write("context/app.txt", "app\n")
        _ = try scratch.write("context/conf.txt", "conf\n")
    }

    @Test func firstBuildRunsEveryNeededStepAndTagsTheImage() async throws {
        let scratch = try ScratchDirectory()
        try context(scratch)
        let backend = FakeBackend()
        let result = try await build(scratch, backend)
        #expect(result.ran == 6)
        #expect(result.cached == 0)
        #expect(!backend.calls.contains { $0.detail == "echo never" })
        #expect(backend.tags["app:1"]?.count == 4)
    }

    @Test func aRebuildWithNoChangeRunsNothingAndKeepsTheImage() async throws {
        let scratch = try ScratchDirectory()
        try context(scratch)
        let backend = FakeBackend()
        let first = try await build(scratch, backend)
        backend.forget()
        let second = try await build(scratch, backend)
        #expect(second.ran == 0)
        #expect(second.cached == 6)
        #expect(second.id == first.id)
        #expect(backend.calls.isEmpty)
    }

    @Test func theCacheSurvivesANewBuilder() async throws {
        let scratch = try ScratchDirectory()
        try context(scratch)
        let backend = FakeBackend()
        _ = try await build(scratch, backend)
        let again = try await build(scratch, backend)
        #expect(again.ran == 0)
    }

    @Test func editingOneCopiedFileRerunsOnlyTheStepsAfterIt() async throws {
        let scratch = try ScratchDirectory()
        try context(scratch)
        let backend = FakeBackend()
        _ = try await build(scratch, backend)
        _ = try scratch.write("context/conf.txt", "changed\n")
        backend.forget()
        let result = try await build(scratch, backend)
        #expect(backend.calls.map(\.kind) == ["copy", "run", "commit"])
        #expect(result.ran == 2)
        #expect(result.cached == 4)
    }

    @Test func noCacheRunsEverything() async throws {
        let scratch = try ScratchDirectory()
        try context(scratch)
        let backend = FakeBackend()
        _ = try await build(scratch, backend)
        let result = try await build(scratch, backend, noCache: true)
        #expect(result.ran == 6)
    }

    @Test func aFailingRunNamesItsLineAndTagsNothing() async throws {
        let scratch = try ScratchDirectory()
        try context(scratch)
        let backend = FakeBackend(failing: "echo done")
        let events = EventLog()
        await #expect {
            _ = try await build(scratch, backend, events: events)
        } throws: { error in
            let error = error as? BerthError
            return error?.code == .buildFailed && error?.message == "Dockerfile:10: RUN echo done: exit code 3"
        }
        #expect(backend.tags.isEmpty)
        let failed = events.events.withLock { $0.first { $0.kind == .failed } }
        #expect(failed?.text?.contains("it went wrong") == true)
    }

    @Test func stepsAreNumberedAndCachedOnesSaySo() async throws {
        let scratch = try ScratchDirectory()
        try context(scratch)
        let backend = FakeBackend()
        _ = try await build(scratch, backend)
        let events = EventLog()
        _ = try await build(scratch, backend, events: events)
        let cached = events.events.withLock { $0.filter { $0.kind == .cached }.map(\.name) }
        #expect(cached.contains("[build 4/4] RUN cat app.txt > out.txt"))
        #expect(cached.contains("[stage-2 2/4] COPY --from=build /src/out.txt /out.txt"))
    }
}

/// What a build reported, in order.
final class EventLog: Sendable {
    let events = Mutex<[ImageBuildEvent]>([])
}
