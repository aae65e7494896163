import BerthModel
import HostOS
import Registry
import Synchronization
import TestSupport
import Testing

/// A fault proxy on 127.0.0.1 between the client and a registry: dropped
/// connections, 429s, a corrupted byte, a redirect to another host, and a
/// registry that never answers.
@Suite struct FaultEndToEndTests {
    /// A registry with `app:v1` of one 200 kB layer (and maybe Basic auth), and the proxy in front of it.
    static func withFaults(
        _ faults: [String], auth: Bool = false,
        _ body: (ScratchDirectory, FaultProxy, ImageReference, TestLayer) async throws -> Void
    ) async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            var mode = LocalRegistry.Auth.none
            if auth {
                mode = .htpasswd(
                    path: try scratch.write("htpasswd", try await run(["htpasswd", "-Bbn", "u", "p"]).output))
            }
            let registry = try await LocalRegistry(in: scratch, name: "registry", auth: mode)
            defer { registry.stop() }
            let layer = try await TestLayer.make([("big", TestLayer.noise(200_000, seed: 11))], .gzip)
            let layout = try OCILayout(at: scratch.path("layout"))
            try layout.tag(try layout.image([layer]).manifest, "v1")
            try await layout.push("v1", to: "\(registry.host)/app:v1", credentials: auth ? "u:p" : nil)
            let proxy = try await FaultProxy(in: scratch, upstream: registry.host, faults: faults)
            defer { proxy.stop() }
            try await body(scratch, proxy, try ImageReference(parsing: "\(proxy.host)/app:v1"), layer)
        }
    }

    @Test func aDroppedConnectionResumesWithRange() async throws {
        try await Self.withFaults(["--drop-after", "70000"]) { scratch, proxy, reference, layer in
            let destination = try TestDestination(in: scratch.path("pull"))
            let events = EventLog()
            _ = try await withClient { client in
                try await ImagePuller(client: client).pull(reference, into: destination, progress: events.record)
            }
            #expect(destination.snapshot.unpacked[layer.descriptor.digest] == layer.diffID)
            // What arrived before the drop is what the kernel delivered; the resume starts there.
            let resumes = events.all.compactMap { event -> Int64? in
                if case .resumed(layer.descriptor.digest, let at) = event { at } else { nil }
            }
            let at = try #require(resumes.first)
            #expect(resumes.count == 1 && at > 0 && at <= 70000)
            #expect(proxy.requests(containing: "blobs/\(layer.descriptor.digest) range=bytes=\(at)-") == 1)
        }
    }

    @Test func tooManyRequestsWaitsForRetryAfter() async throws {
        try await Self.withFaults(["--too-many", "1"]) { _, proxy, reference, _ in
            let start = ContinuousClock.now
            _ = try await withClient { try await $0.resolve(reference) }
            #expect(ContinuousClock.now - start >= .seconds(1), "Retry-After: 1 was honoured")
            #expect(proxy.requests(containing: "GET /v2/app/manifests/v1") == 2)
        }
    }

    @Test func aCorruptedByteFailsNamingTheLayerAndLeavesNothing() async throws {
        let corrupt = try await TestLayer.make([("big", TestLayer.noise(200_000, seed: 11))], .gzip).descriptor.digest
        try await Self.withFaults(["--corrupt", corrupt.description]) { scratch, _, reference, layer in
            let destination = try TestDestination(in: scratch.path("pull"))
            _ = try await expectFailure(.digestMismatch, mentioning: ["layer \(layer.descriptor.digest)", "app:v1"]) {
                _ = try await withClient { client in
                    try await ImagePuller(client: client).pull(reference, into: destination)
                }
            }
            let state = destination.snapshot
            #expect(!state.committed.contains(layer.descriptor.digest))
            #expect(state.discarded == [layer.descriptor.digest], "the unpacked layer was thrown away")
            #expect(destination.staged.isEmpty, "no staged file is left")
        }
    }

    @Test func aRedirectToAnotherHostCarriesNoAuthorization() async throws {
        try await Self.withFaults(["--redirect"], auth: true) { scratch, proxy, reference, layer in
            let credentials = StaticCredentials([proxy.host: .basic(username: "u", password: "p")])
            let destination = try TestDestination(in: scratch.path("pull"))
            _ = try await withClient(credentials: credentials) { client in
                try await ImagePuller(client: client).pull(reference, into: destination)
            }
            #expect(proxy.requests(containing: "GET /v2/app/blobs/\(layer.descriptor.digest) range=- auth=yes") == 1)
            #expect(proxy.requests(containing: "REDIRECTED /v2/app/blobs/\(layer.descriptor.digest) auth=no") == 1)
            #expect(proxy.requests(containing: "auth=yes") > 1)
        }
    }

    @Test func aRegistryThatNeverAnswersFailsWithinTheBound() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let proxy = try await FaultProxy(in: scratch, upstream: "", faults: ["--silent"])
            defer { proxy.stop() }
            // The bound: the https handshake docker's way tries first (the connect
            // timeout), then each try over http (the read timeout) and the waits between.
            let reference = try ImageReference(parsing: "\(proxy.host)/app:v1")
            _ = try await expectFailure(
                .registryUnreachable,
                mentioning: [proxy.host, "did not answer within 0.3s", "/v2/ before pulling \(proxy.host)/app:v1"]
            ) {
                _ = try await withClient(
                    connectTimeout: .seconds(1), readTimeout: .milliseconds(300),
                    retry: RetryPolicy(attempts: 2, initialDelay: .milliseconds(50))
                ) { try await $0.resolve(reference) }
            }
            // No clock check: the message says which timeout ended it (the
            // whole suite starting at once on two cores has held tests back 32 s).
        }
    }

    @Test func aClosedPortIsUnreachableAtOnce() async throws {
        let port = try Loopback.freePort()
        // "At once": the refusal is the error, not a connect or read timeout
        // waited out (those say "within"); no clock is read, the load of the
        // whole suite makes one meaningless.
        let error = try await expectFailure(.registryUnreachable, mentioning: ["127.0.0.1:\(port)", "unreachable"]) {
            _ = try await withClient { try await $0.resolve(try ImageReference(parsing: "127.0.0.1:\(port)/app:v1")) }
        }
        #expect(!error.line.contains("within"))
    }
}

/// Fixtures/fault_proxy.py on 127.0.0.1.
final class FaultProxy {
    let process: BackgroundProcess
    let port: Int
    let log: String
    var host: String { "127.0.0.1:\(port)" }

    init(in scratch: ScratchDirectory, upstream: String, faults: [String]) async throws {
        log = scratch.path("proxy.log")
        process = try BackgroundProcess(
            ["python3", Fixtures.directory + "/fault_proxy.py", "--upstream", upstream, "--log", log] + faults,
            output: scratch.path("proxy.out"))
        guard let port = Int(try await process.firstLine().split(separator: " ").first ?? "") else {
            throw TestFailure("the fault proxy gave no port")
        }
        self.port = port
    }

    func stop() { process.stop() }

    /// How many requests of its log contain `text`.
    func requests(containing text: String) -> Int {
        lines(of: contents(of: log), containing: text)
    }
}

/// The events of a pull, in order.
final class EventLog: Sendable {
    private let events = Mutex<[PullEvent]>([])
    var all: [PullEvent] { events.withLock { $0 } }
    @Sendable func record(_ event: PullEvent) { events.withLock { $0.append(event) } }
}
