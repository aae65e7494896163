import BerthModel
import DaemonAPI
import Logging
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs one route's handler and writes its answer; lives in the task the
/// connection handler starts once the request is complete, and writes
/// through the channel (which hops to its event loop).
///
/// Each write is awaited before the next: a stream goes out as fast as the
/// client reads it and no faster, and each line is flushed on its own, so
/// progress reaches the client while it happens.
struct ResponseWriter: Sendable {
    let channel: any Channel
    let logger: Logger
    /// `POST /v1/up`, for messages and logs.
    let request: String

    /// Calls `handler` with the request body and writes what it answers.
    func respond(with handler: @escaping HTTPServer.Handler, body: [UInt8]) async {
        let started = ContinuousClock.now
        let response: HTTPResponseBody
        do {
            response = try await handler(body)
        } catch {
            if Task.isCancelled {
                // The client went away; nobody is left to read an error.
                logger.debug("client left during the request", metadata: ["request": "\(request)"])
                return
            }
            let failure = ErrorStatus.berthError(for: error, request: request)
            let status = ErrorStatus.status(for: failure.code)
            logger.log(
                level: status == .internalServerError ? .warning : .debug, "request failed",
                metadata: ["request": "\(request)", "status": "\(status.code)", "error": "\(failure)"])
            await send(status: status, json: Self.encode(failure))
            return
        }
        switch response {
        case .json(let bytes):
            await send(status: .ok, json: bytes)
        case .stream(let lines):
            await send(lines)
        }
        logger.debug(
            "request answered",
            metadata: ["request": "\(request)", "duration": "\(ContinuousClock.now - started)"])
    }

    /// A whole answer with a length, then the connection closes.
    func send(status: HTTPResponseStatus, json: [UInt8]) async {
        let head = Self.head(status, headers: [("content-length", String(json.count))])
        do {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: json))), promise: nil)
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        } catch {
            logger.debug("answer not delivered", metadata: ["request": "\(request)", "error": "\(error)"])
        }
        channel.close(promise: nil)
    }

    /// A chunked answer, one line per chunk. A stream that throws ends with a
    /// `failure` frame: the head is already out, so a status cannot say it.
    private func send(_ lines: AsyncThrowingStream<[UInt8], any Error>) async {
        // No length: HTTPResponseEncoder frames the body as chunks.
        let head = Self.head(.ok, headers: [("content-type", "application/x-ndjson")])
        do {
            try await channel.writeAndFlush(HTTPServerResponsePart.head(head))
            var iterator = lines.makeAsyncIterator()
            while true {
                let line: [UInt8]?
                do {
                    line = try await iterator.next()
                } catch {
                    // Cancelled: the client left, and nobody reads a failure frame.
                    if Task.isCancelled { throw error }
                    let failure = ErrorStatus.berthError(for: error, request: request)
                    logger.debug("stream failed", metadata: ["request": "\(request)", "error": "\(failure)"])
                    try await write(Self.encode(StreamFrame<Empty, Empty>.failure(failure)))
                    break
                }
                guard let line else { break }
                try await write(line)
            }
            // Cancelled: the stream ended early for a client that left;
            // there is nobody to finish the answer for.
            if !Task.isCancelled { try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)) }
        } catch {
            logger.debug("stream not delivered", metadata: ["request": "\(request)", "error": "\(error)"])
        }
        channel.close(promise: nil)
    }

    private func write(_ line: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: line.count + 1)
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)))
    }

    /// One request per connection: every answer says so, whatever the
    /// request's `Connection` header asked for.
    static func head(_ status: HTTPResponseStatus, headers extra: [(String, String)]) -> HTTPResponseHead {
        var headers = HTTPHeaders([("content-type", "application/json"), ("connection", "close")])
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    /// JSON of a value the transport makes itself (errors, failure frames).
    static func encode(_ value: some Encodable) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(value))
        } catch {
            // BerthError and its frame are plain strings and arrays; this cannot fail.
            return Array(#"{"code":"internal","message":"berthd could not encode its answer","more":[]}"#.utf8)
        }
    }
}
