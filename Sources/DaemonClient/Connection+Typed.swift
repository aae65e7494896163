import BerthModel
import DaemonAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension DaemonConnection {
    /// Sends `request` as JSON to a plain route and decodes its answer.
    public func call<Request: Encodable, Response: Decodable>(
        _ route: Route, _ request: Request, as: Response.Type
    ) async throws -> Response {
        let answer = try await call(route, body: try encode(request, for: route))
        do {
            return try JSONCoding.decode(Response.self, from: answer)
        } catch {
            throw protocolViolation(route, "an answer that is not a \(Response.self)", cause: "\(error)")
        }
    }

    /// Sends `request` as JSON to a streaming route and decodes each line as
    /// a frame, as it arrives. Like `stream(_:body:)`, it returns once the
    /// answer's head is in: an unreachable daemon or an error status throws
    /// here. Later failures (the connection lost, a line that is not a
    /// frame, a stream that ends without a `result` or `failure` frame) end
    /// the sequence with a thrown `BerthError`; berthd's own failure during
    /// the work arrives as a `failure` frame. Ending the iteration early
    /// closes the connection.
    public func stream<Request: Encodable, Item: Codable & Sendable, Result: Codable & Sendable>(
        _ route: Route, _ request: Request, item: Item.Type, result: Result.Type
    ) async throws -> AsyncThrowingStream<StreamFrame<Item, Result>, any Error> {
        let lines = try await stream(route, body: try encode(request, for: route))
        let (frames, output) = AsyncThrowingStream.makeStream(of: StreamFrame<Item, Result>.self)
        let reader = Task {
            do {
                var ended = false
                for try await line in lines {
                    let frame: StreamFrame<Item, Result>
                    do {
                        frame = try JSONCoding.decode(StreamFrame<Item, Result>.self, from: line)
                    } catch {
                        throw protocolViolation(
                            route, "a line that is not a frame",
                            cause: String(decoding: line.prefix(200), as: UTF8.self))
                    }
                    if case .item = frame {} else { ended = true }
                    output.yield(frame)
                }
                if !ended && !Task.isCancelled {
                    throw protocolViolation(route, "a stream that ended without a result")
                }
                output.finish()
            } catch {
                output.finish(throwing: error)
            }
        }
        output.onTermination = { _ in reader.cancel() }
        return frames
    }

    private func encode(_ request: some Encodable, for route: Route) throws -> [UInt8] {
        do {
            return try JSONCoding.encode(request)
        } catch {
            throw BerthError(.daemonProtocol, "cannot encode the request of POST \(route.path)", cause: "\(error)")
        }
    }
}

/// The JSON of the wire, both ways.
enum JSONCoding {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
