import BerthModel
import DaemonAPI
import DaemonCore
import DaemonHTTP
import Logging
import Supervisor
import TestSupport
import Testing

/// The endpoints are the wire: their paths are what berth and berthd of
/// any version agree on, and every one is served.
struct EndpointTests {
    func path<Request, Response>(_ endpoint: Endpoint<Request, Response>) -> String { endpoint.path }
    func path<Request, Item, Result>(_ endpoint: StreamingEndpoint<Request, Item, Result>) -> String { endpoint.path }

    var all: [String] {
        [
            path(.ping), path(.up), path(.down), path(.containerAction), path(.ps), path(.logs), path(.exec),
            path(.run), path(.wait), path(.events), path(.top), path(.projects), path(.images), path(.imageImport),
            path(.imageRemove), path(.imageInspect), path(.volumes), path(.volumeCreate), path(.volumeRemove),
            path(.volumePrune), path(.networks), path(.networkRemove), path(.networkPrune), path(.imagePull),
            path(.imagePush), path(.imageTag), path(.login), path(.logout), path(.imageBuild),
            path(.imageDetails), path(.stats), path(.copy), path(.builderPrune), path(.systemDiskUsage),
        ]
    }

    @Test func pathsAreTheWire() {
        #expect(
            all == [
                "/v1/ping", "/v1/up", "/v1/down", "/v1/container-action", "/v1/ps", "/v1/logs", "/v1/exec", "/v1/run",
                "/v1/wait", "/v1/events", "/v1/top", "/v1/projects", "/v1/images", "/v1/image-import",
                "/v1/image-remove", "/v1/image-inspect", "/v1/volumes", "/v1/volume-create", "/v1/volume-remove",
                "/v1/volume-prune", "/v1/networks", "/v1/network-remove", "/v1/network-prune", "/v1/image-pull",
                "/v1/image-push", "/v1/image-tag", "/v1/login", "/v1/logout", "/v1/image-build",
                "/v1/image-details", "/v1/stats", "/v1/copy", "/v1/builder-prune", "/v1/system-df",
            ])
    }

    @Test func berthdServesEveryEndpoint() throws {
        try withScratchDirectory(prefix: "berth-endpoints") { directory in
            let runtime = FakeRuntime()
            let service = DaemonService(
                runtime: runtime, supervisor: SupervisorService(runtime: runtime), names: nil, root: directory.path,
                info: DaemonInfo(version: "test", pid: 1, root: directory.path, socket: directory.path + "/s"),
                logger: Logger(label: "test"))
            #expect(DaemonRoutes.table(service).handlers.keys.sorted() == all.sorted())
            #expect(DaemonRoutes.table(service).sessions.keys.sorted() == ["/v1/attach", "/v1/exec-session"])
            #expect(SessionEndpoint.execSession.path == "/v1/exec-session")
            #expect(SessionEndpoint.attach.path == "/v1/attach")
        }
    }
}
