import BerthModel
import DaemonAPI
import DaemonCore
import Foundation

/// The route table: each route decodes its request, calls the service, and
/// encodes the answer; streaming routes send `StreamFrame` lines as the work
/// goes and end with a result or a failure.
public enum DaemonRoutes {
    public static func table(_ service: DaemonService) -> [String: HTTPServer.Handler] {
        var routes: [String: HTTPServer.Handler] = [:]
        func plain<Request: Decodable & Sendable, Response: Encodable & Sendable>(
            _ route: Route, _ type: Request.Type, _ body: @escaping @Sendable (Request) async throws -> Response
        ) {
            routes[route.path] = { bytes in
                let request = try decode(type, bytes, route)
                return .json(try encode(try await body(request)))
            }
        }
        func streaming<Request: Decodable & Sendable, Item: Codable & Sendable, Result: Codable & Sendable>(
            _ route: Route, _ type: Request.Type, item: Item.Type,
            _ body: @escaping @Sendable (Request, @escaping @Sendable (Item) -> Void) async throws -> Result
        ) {
            routes[route.path] = { bytes in
                let request = try decode(type, bytes, route)
                let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
                let task = Task {
                    let send: @Sendable (StreamFrame<Item, Result>) -> Void = { frame in
                        if let line = try? encode(frame) { continuation.yield(line) }
                    }
                    do {
                        let result = try await body(request) { send(.item($0)) }
                        send(.result(result))
                    } catch {
                        send(.failure(berthError(error)))
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
                return .stream(stream)
            }
        }
        plain(.ping, Empty.self) { _ in service.info }
        streaming(.up, UpRequest.self, item: ProgressEvent.self) { request, send in
            try await service.up(request, report: send)
        }
        streaming(.down, DownRequest.self, item: ProgressEvent.self) { request, send in
            try await service.down(request, report: send)
            return Empty()
        }
        streaming(.containerAction, ContainerActionRequest.self, item: ProgressEvent.self) { request, send in
            try await service.act(request, report: send)
            return Empty()
        }
        plain(.ps, PsRequest.self) { try await service.summaries(project: $0.projectName, services: $0.services, all: $0.all) }
        streaming(.logs, LogsRequest.self, item: LogEntry.self) { request, send in
            for try await entry in try await service.logs(request) { send(entry) }
            return Empty()
        }
        streaming(.exec, ExecRequest.self, item: ExecChunk.self) { request, send in
            try await service.exec(request, send: send)
        }
        streaming(.run, RunRequest.self, item: RunOutput.self) { request, send in
            try await service.run(request, send: send)
        }
        plain(.wait, WaitRequest.self) { try await service.wait($0) }
        streaming(.events, EventsRequest.self, item: EventRecord.self) { request, send in
            for await event in await service.events(request) { send(event) }
            return Empty()
        }
        plain(.top, TopRequest.self) { try await service.top($0) }
        plain(.projects, Empty.self) { _ in try await service.projects() }
        plain(.images, Empty.self) { _ in try await service.images() }
        plain(.imageImport, ImageImportRequest.self) { try await service.importImage($0) }
        plain(.imageRemove, NamesRequest.self) { try await service.removeImages($0) }
        plain(.imageInspect, NamesRequest.self) { request in
            let all = try await service.images()
            return all.filter { image in
                request.names.contains { $0 == image.reference || $0 + ":latest" == image.reference || image.digest.hasPrefix($0) }
            }
        }
        plain(.volumes, Empty.self) { _ in try await service.volumes() }
        plain(.volumeCreate, VolumeCreateRequest.self) { try await service.createVolume($0) }
        plain(.volumeRemove, NamesRequest.self) { try await service.removeVolumes($0) }
        plain(.volumePrune, Empty.self) { _ in try await service.pruneVolumes() }
        plain(.networks, Empty.self) { _ in try await service.networks() }
        plain(.networkRemove, NamesRequest.self) { try await service.removeNetworks($0) }
        plain(.networkPrune, Empty.self) { _ in try await service.pruneNetworks() }
        return routes
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], _ route: Route) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw BerthError(.usage, "malformed request to \(route.path)", cause: "\(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    static func berthError(_ error: any Error) -> BerthError {
        if let error = error as? BerthError { return error }
        if error is CancellationError { return BerthError(.cancelled, "cancelled") }
        return BerthError(.daemonInternal, "\(error)")
    }
}
