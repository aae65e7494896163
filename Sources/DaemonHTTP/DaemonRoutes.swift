import BerthModel
import DaemonAPI
import DaemonCore

/// berthd's routes: each endpoint of DaemonAPI answered by the service.
/// Streaming routes send progress, lines or events as the work goes and
/// end with a result or a failure.
public enum DaemonRoutes {
    /// Every route, over `service`.
    public static func table(_ service: DaemonService) -> RouteTable {
        var routes = RouteTable()
        routes.on(.ping) { _ in service.info }
        addProjectRoutes(service, to: &routes)
        addObjectRoutes(service, to: &routes)
        return routes
    }

    /// What acts on a project and its containers.
    static func addProjectRoutes(_ service: DaemonService, to routes: inout RouteTable) {
        routes.on(.up) { request, send in try await service.up(request, report: send) }
        routes.on(.down) { request, send in
            try await service.down(request, report: send)
            return Empty()
        }
        routes.on(.containerAction) { request, send in
            try await service.act(request, report: send)
            return Empty()
        }
        routes.on(.ps) { try await service.summaries(project: $0.projectName, services: $0.services, all: $0.all) }
        routes.on(.logs, pulling: { request in (try await service.logs(request), batching: !request.follow) })
        routes.on(.exec) { request, send in try await service.exec(request, send: send) }
        routes.on(.run) { request, send in try await service.run(request, send: send) }
        routes.on(.execSession) { request, io in try await service.execSession(request, io: io) }
        routes.on(.attach) { request, io in try await service.attach(request, io: io) }
        routes.on(.wait) { try await service.wait($0) }
        routes.on(.events) { request, send in
            for await event in await service.events(request) { send(event) }
            return Empty()
        }
        routes.on(.top) { try await service.top($0) }
        routes.on(.stats) { try await service.stats($0) }
        routes.on(.copy) { try await service.copy($0) }
        routes.on(.projects) { _ in try await service.projects() }
    }

    /// Images, volumes and networks.
    static func addObjectRoutes(_ service: DaemonService, to routes: inout RouteTable) {
        routes.on(.images) { _ in try await service.images() }
        routes.on(.imageImport) { try await service.importImage($0) }
        routes.on(.imageBuild) { request, send in try await service.build(request, send: send) }
        routes.on(.imageDetails) { try await service.imageDetails($0.names) }
        routes.on(.builderPrune) { try await service.pruneBuildCache($0) }
        routes.on(.systemDiskUsage) { _ in try await service.diskUsage() }
        routes.on(.imageRemove) { try await service.removeImages($0) }
        routes.on(.imageInspect) { request in
            let all = try await service.images()
            return all.filter { image in
                request.names.contains {
                    $0 == image.reference || $0 + ":latest" == image.reference || image.digest.hasPrefix($0)
                }
            }
        }
        routes.on(.imagePull) { request, send in try await service.pullImages(request, report: send) }
        routes.on(.imagePush) { request, send in try await service.pushImages(request, report: send) }
        routes.on(.imageTag) { try await service.tagImage($0) }
        routes.on(.login) { try await service.login($0) }
        routes.on(.logout) { try await service.logout($0) }
        routes.on(.volumes) { _ in try await service.volumes() }
        routes.on(.volumeCreate) { try await service.createVolume($0) }
        routes.on(.volumeRemove) { try await service.removeVolumes($0) }
        routes.on(.volumePrune) { _ in try await service.pruneVolumes() }
        routes.on(.networks) { _ in try await service.networks() }
        routes.on(.networkRemove) { try await service.removeNetworks($0) }
        routes.on(.networkPrune) { _ in try await service.pruneNetworks() }
    }
}
