import BerthModel
import RuntimeKit
import TestSupport
import Testing

@testable import RuntimeLinux

/// The daemon's tests run on `FakeRuntime` and production on `LinuxRuntime`:
/// for the statuses those tests see to be production's, both must fail
/// with the same code in the same situation. `ErrorScenario.all` lists the
/// situations with the code they fail with.
@Suite struct FakeRuntimeErrorTests {
    /// Without root: the fake against the list.
    @Test(arguments: ErrorScenario.all)
    func fakeFailsWithTheListedCode(_ scenario: ErrorScenario) async throws {
        let stage = Stage(runtime: FakeRuntime(images: ["busybox:latest"]), prefix: "fake")
        let fake = try await scenario.play(on: stage)
        #expect(fake == scenario.outcome)
    }
}

extension HostResourceTests.LinuxRuntimeTests {
    /// As root: every scenario against the real runtime (one fixture, a
    /// prefix per scenario) and a fresh fake, compared with each other and
    /// with the list.
    @Suite(.timeLimit(.minutes(5))) struct RuntimeErrorConformanceTests {
        @Test func fakeAndRealRuntimeFailAlike() async throws {
            try await RuntimeFixture.with { f in
                for (index, scenario) in ErrorScenario.all.enumerated() {
                    let real = try await scenario.play(on: Stage(runtime: f.runtime, prefix: "\(f.prefix)-\(index)"))
                    let fake = try await scenario.play(
                        on: Stage(runtime: FakeRuntime(images: ["busybox:latest"]), prefix: "fake"))
                    #expect(fake == real, "\(scenario.situation): FakeRuntime \(fake), LinuxRuntime \(real)")
                    #expect(real == scenario.outcome, "\(scenario.situation): LinuxRuntime \(real)")
                }
            }
        }
    }
}
