import BerthModel
import TestSupport
import Testing

@testable import Builder

/// `system df`'s build cache row and `builder prune` over a fake backend
/// whose layers hold 100 bytes each.
@Suite struct BuildCachePruneTests {
    /// Two stages: the first's three steps make layers no image keeps, the
    /// last's three are the image's own.
    static let dockerfile = """
        FROM busybox AS build
        WORKDIR /src
        COPY app.txt .
        RUN cat app.txt > out.txt
        FROM busybox
        COPY --from=build /src/out.txt /out.txt
        COPY app.txt /app.txt
        RUN echo done
        """

    private func builtOnce() async throws -> (ImageBuilder, FakeBackend, ScratchDirectory, ImageBuildRequest) {
        let scratch = try ScratchDirectory()
        _ = try scratch.write("context/Dockerfile", Self.dockerfile)
        _ = try scratch.write("context/app.txt", "app\n")
        let backend = FakeBackend()
        let builder = try ImageBuilder(backend: backend, cacheDirectory: scratch.path("cache"))
        let request = ImageBuildRequest(context: scratch.path("context"), tags: ["app:1"])
        _ = try await builder.build(request) { _ in }
        return (builder, backend, scratch, request)
    }

    @Test func theRowCountsEveryStepAndWhatNoImageKeeps() async throws {
        let (builder, _, scratch, _) = try await builtOnce()
        defer { withExtendedLifetime(scratch) {} }
        #expect(
            try await builder.cacheUsage()
                == DiskUsageRow(type: "Build Cache", total: 6, active: 3, size: 600, reclaimable: 300))
    }

    @Test func pruneWithoutAllTakesOnlyWhatNoImageUses() async throws {
        let (builder, _, scratch, _) = try await builtOnce()
        defer { withExtendedLifetime(scratch) {} }
        let result = try await builder.pruneCache(BuilderPruneRequest())
        #expect(result == BuilderPruneResult(removed: 3, reclaimed: 300))
        #expect(
            try await builder.cacheUsage()
                == DiskUsageRow(type: "Build Cache", total: 3, active: 3, size: 300, reclaimable: 0))
    }

    @Test func pruneAllEmptiesTheCacheSoTheNextBuildRunsEveryStep() async throws {
        let (builder, _, scratch, request) = try await builtOnce()
        defer { withExtendedLifetime(scratch) {} }
        let result = try await builder.pruneCache(BuilderPruneRequest(all: true))
        #expect(result == BuilderPruneResult(removed: 6, reclaimed: 300))
        #expect(try await builder.cacheUsage().size == 0)
        let again = try await builder.build(request) { _ in }
        #expect(again.ran == 6 && again.cached == 0)
    }

    @Test func keepStorageStopsAtTheFloor() async throws {
        let (builder, _, scratch, _) = try await builtOnce()
        defer { withExtendedLifetime(scratch) {} }
        let result = try await builder.pruneCache(BuilderPruneRequest(all: true, keepStorage: 350))
        #expect(result.removed == 3)
        #expect(try await builder.cacheUsage().size == 300)
    }

    @Test func aNamedImageContextIsTheImageFromAndCopyFromRead() async throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.write("context/Dockerfile", "FROM base\nCOPY --from=tools /bin/sh /sh\nRUN echo hi\n")
        let backend = FakeBackend()
        let builder = try ImageBuilder(backend: backend, cacheDirectory: scratch.path("cache"))
        var request = ImageBuildRequest(context: scratch.path("context"), tags: ["named:1"])
        request.namedImages = ["base": "busybox:1.36", "tools": "busybox:latest"]
        let result = try await builder.build(request) { _ in }
        #expect(result.ran == 2)
        #expect(backend.tags["named:1"]?.first == "sha256:" + String(repeating: "1", count: 64))
    }

    @Test func theIndexKeepsWhenEachStepWasLastUsed() async throws {
        let (builder, _, scratch, _) = try await builtOnce()
        let reopened = try BuildCache(directory: scratch.path("cache"))
        #expect(reopened.entries.count == 6)
        #expect(reopened.entries.allSatisfy { $0.lastUsed > 0 })
        #expect(builder.cache.entries.count == 6)
    }
}
