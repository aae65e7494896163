import BerthModel
import DaemonAPI

extension DaemonConnection {
    /// Sends `request` as JSON to a plain route and decodes its answer.
    public func call<Request, Response>(_ endpoint: Endpoint<Request, Response>, _ request: Request) async throws
        -> Response
    {
        let answer = try await call(endpoint, body: try encode(request, for: endpoint.path))
        do {
            return try WireJSON.decode(Response.self, from: answer)
        } catch {
            throw protocolViolation(endpoint.path, "an answer that is not a \(Response.self)", cause: "\(error)")
        }
    }

    /// Sends `request` to a streaming route, hands each item to `each` as it
    /// arrives, and returns the result; berthd's failure during the work
    /// (a `failure` frame) is thrown, and so is every failure `frames`
    /// describes.
    public func stream<Request, Item, Result>(
        _ endpoint: StreamingEndpoint<Request, Item, Result>, _ request: Request,
        each: (Item) async throws -> Void
    ) async throws -> Result {
        for try await frame in try await frames(endpoint, request) {
            switch frame {
            case .item(let item): try await each(item)
            case .result(let result): return result
            case .failure(let error): throw error
            }
        }
        // `frames` ends without a result only when this task is cancelled.
        throw CancellationError()
    }

    /// Sends `request` as JSON to a streaming route and decodes each line as
    /// a frame, as it arrives. Like `stream(_:body:)`, it returns once the
    /// answer's head is in: an unreachable daemon or an error status throws
    /// here. Later failures (the connection lost, a line that is not a
    /// frame, a stream that ends without a `result` or `failure` frame) end
    /// the sequence with a thrown `BerthError`; berthd's own failure during
    /// the work arrives as a `failure` frame. Ending the iteration early
    /// closes the connection.
    public func frames<Request, Item, Result>(
        _ endpoint: StreamingEndpoint<Request, Item, Result>, _ request: Request
    ) async throws -> AsyncThrowingStream<StreamFrame<Item, Result>, any Error> {
        let path = endpoint.path
        let lines = try await stream(endpoint, body: try encode(request, for: path))
        let (frames, output) = AsyncThrowingStream.makeStream(of: StreamFrame<Item, Result>.self)
        let reader = Task {
            do {
                var ended = false
                for try await line in lines {
                    let frame: StreamFrame<Item, Result>
                    do {
                        frame = try WireJSON.decode(StreamFrame<Item, Result>.self, from: line)
                    } catch {
                        throw protocolViolation(
                            path, "a line that is not a frame", cause: String(decoding: line.prefix(200), as: UTF8.self)
                        )
                    }
                    if case .item = frame {} else { ended = true }
                    output.yield(frame)
                }
                if !ended && !Task.isCancelled {
                    throw protocolViolation(path, "a stream that ended without a result")
                }
                output.finish()
            } catch {
                output.finish(throwing: error)
            }
        }
        output.onTermination = { _ in reader.cancel() }
        return frames
    }

    /// The request's bytes, once it has passed the checks berthd makes of
    /// it (`ValidatedRequest`), so a bad one is refused without a round trip.
    private func encode(_ request: some Encodable, for path: String) throws -> [UInt8] {
        if let checked = request as? any ValidatedRequest { try checked.validate() }
        do {
            return try WireJSON.encode(request)
        } catch {
            throw BerthError(.daemonProtocol, "cannot encode the request of POST \(path)", cause: "\(error)")
        }
    }
}
