import BerthModel
import RuntimeKit
import TestSupport
import Testing

/// The fake behaves like a runtime where the reconciler's tests can see it.
@Suite("FakeRuntime")
struct FakeRuntimeTests {
    @Test func recordsCallsAndFindsContainersByLabel() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        _ = try await runtime.createNetwork(NetworkSpec(name: "demo_default", labels: [ComposeLabel.project: "demo"]))
        var spec = ContainerSpec(name: "demo-web-1", image: "busybox")
        spec.labels = [ComposeLabel.project: "demo", ComposeLabel.service: "web"]
        spec.networks = [NetworkAttachment(network: "demo_default")]
        let created = try await runtime.createContainer(spec)
        try await runtime.startContainer(created.id)
        let found = try await runtime.containers(matching: .project("demo"))
        #expect(found.map(\.name) == ["demo-web-1"])
        #expect(found.first?.state.isRunning == true)
        #expect(await runtime.calls == ["create-network demo_default", "create demo-web-1", "start demo-web-1"])
        #expect(try await runtime.containers(matching: .project("other")).isEmpty)
    }

    @Test func aMissingImageSaysHowToGetOne() async throws {
        let runtime = FakeRuntime()
        await #expect(throws: BerthError.self) {
            _ = try await runtime.createContainer(ContainerSpec(name: "x", image: "nginx:1.27"))
        }
        do {
            _ = try await runtime.image("nginx:1.27")
        } catch let error as BerthError {
            #expect(
                error.message == "image \"nginx:1.27\" not found; import one with `berth image import FILE nginx:1.27`")
        }
    }

    @Test func exitsAreEventsAndWaitReturnsTheCode() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        let info = try await runtime.createContainer(ContainerSpec(name: "job", image: "busybox"))
        try await runtime.startContainer(info.id)
        let stream = await runtime.events()
        await runtime.exit(info.id, code: 3)
        #expect(try await runtime.waitContainer(info.id) == 3)
        var iterator = stream.makeAsyncIterator()
        let event = await iterator.next()
        #expect(event == RuntimeEvent(kind: .die, containerID: info.id, containerName: "job", exitCode: 3))
    }

    @Test func volumesInUseAreNotRemoved() async throws {
        let runtime = FakeRuntime(images: ["busybox"])
        _ = try await runtime.createVolume(name: "demo_data", labels: [:])
        var spec = ContainerSpec(name: "db", image: "busybox")
        spec.mounts = [.volume(name: "demo_data", target: "/data", readOnly: false, nocopy: false)]
        _ = try await runtime.createContainer(spec)
        do {
            try await runtime.removeVolume("demo_data")
            Issue.record("removing a volume in use must fail")
        } catch let error as BerthError {
            #expect(error.message == "volume demo_data is in use by container db")
        }
    }
}
