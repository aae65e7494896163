import AsyncHTTPClient
import BerthModel
import Foundation
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// Fetches `writer.blob` of `image` into `writer`, streaming: bytes go to
    /// the file, the hash and the unpacker as they arrive, never all held in
    /// memory. A connection that breaks mid-way is resumed with a `Range`
    /// request from the byte reached (a registry that ignores Range is read
    /// past what is in), up to the retry policy's attempts; the digest is
    /// checked over the whole by `writer.finish()`, which the caller calls.
    ///
    /// A non-distributable layer is fetched from its descriptor's `urls`
    /// first, as the image-spec says, then from the registry.
    func fetchBlob(
        into writer: BlobWriter, of image: ResolvedImage, progress: @Sendable (Int64) -> Void,
        resumed: @Sendable (Int64) -> Void
    ) async throws(BerthError) {
        let blob = writer.blob
        let name = image.reference.repositoryName
        var sources = [RegistryRequest]()
        if MediaType.isNonDistributable(blob.mediaType) {
            sources += (blob.urls ?? []).filter { $0.hasPrefix("https://") || $0.hasPrefix("http://") }.map { url in
                RegistryRequest(path: url, scopes: [], what: "fetching \(writer.what) from \(url)", deadline: nil)
            }
        }
        sources.append(
            RegistryRequest(
                path: "/v2/\(name)/blobs/\(blob.digest)", scopes: ["repository:\(name):pull"],
                what: "fetching \(writer.what) from \(image.source)", deadline: nil))
        var failure: BerthError?
        for (index, source) in sources.enumerated() {
            do {
                try await stream(source, into: writer, image: image, progress: progress, resumed: resumed)
                return
            } catch {
                // A foreign URL that fails gives way to the next, and to the registry.
                guard index < sources.count - 1, writer.received == 0, error.code != .cancelled else { throw error }
                failure = error
            }
        }
        throw failure ?? BerthError(.blobUnknown, "\(writer.what): nowhere to fetch it from")
    }

    private func stream(
        _ base: RegistryRequest, into writer: BlobWriter, image: ResolvedImage, progress: @Sendable (Int64) -> Void,
        resumed: @Sendable (Int64) -> Void
    ) async throws(BerthError) {
        var breaks = 0
        while writer.received < writer.blob.size || writer.blob.size == 0 {
            var request = base
            let start = writer.received
            if start > 0 { request.headers.add(name: "Range", value: "bytes=\(start)-") }
            let response = try await send(request, on: image.source, domain: image.reference.domain)
            let skip = try await acceptBlobAnswer(response, asked: start, request: request, writer: writer)
            do {
                try await copy(response.body, skipping: skip, into: writer, from: image.source, progress: progress)
                return
            } catch let failure as TransportFailure {
                breaks += 1
                guard failure.retryable, breaks < configuration.retry.attempts else { throw failure.error }
                try await pause(configuration.retry.delay(after: breaks))
                resumed(writer.received)
            } catch let error as BerthError {
                throw error
            } catch {
                throw BerthError(.registryProtocol, "\(request.what) failed", cause: "\(error)")
            }
        }
    }

    /// Checks the status of a blob answer and returns how many leading
    /// bytes to skip: 0 for a 206 from where we asked, `asked` for a 200
    /// (the registry ignored the Range and sends it all again).
    private func acceptBlobAnswer(
        _ response: HTTPClientResponse, asked start: Int64, request: RegistryRequest, writer: BlobWriter
    ) async throws(BerthError) -> Int64 {
        switch response.status.code {
        case 200:
            return start
        case 206 where start > 0:
            let range = response.headers.first(name: "Content-Range") ?? ""
            guard range.hasPrefix("bytes \(start)-") else {
                await drain(response)
                throw BerthError(
                    .registryProtocol, "\(request.what): asked for bytes from \(start), got the range \"\(range)\"")
            }
            return 0
        default:
            let body = try await collect(response.body, limit: 64 << 10, what: request.what)
            throw RegistryErrorBody.error(
                status: response.status, body: body, code: .registryProtocol, notFoundCode: .blobUnknown,
                message: response.status.code == 404 ? "\(request.what): no such blob" : "\(request.what) failed")
        }
    }

    /// Copies a body into the writer, dropping its first `skip` bytes.
    /// A break of the connection is a retryable `TransportFailure`.
    private func copy(
        _ body: HTTPClientResponse.Body, skipping skip: Int64, into writer: BlobWriter, from endpoint: Endpoint,
        progress: @Sendable (Int64) -> Void
    ) async throws {
        var toSkip = skip
        var reported = writer.received
        do {
            for try await var chunk in body {
                if toSkip > 0 {
                    let dropped = min(Int64(chunk.readableBytes), toSkip)
                    chunk.moveReaderIndex(forwardBy: Int(dropped))
                    toSkip -= dropped
                    if chunk.readableBytes == 0 { continue }
                }
                try writer.write(chunk)
                // Progress every 512 KiB, not every chunk: a 500 MB layer is 30,000 chunks.
                if writer.received - reported >= 512 << 10 || writer.received == writer.blob.size {
                    reported = writer.received
                    progress(writer.received)
                }
            }
        } catch let error as BerthError {
            throw error
        } catch {
            throw Self.transportFailure(error, endpoint: endpoint, what: writer.what, configuration: configuration)
        }
        if writer.received < writer.blob.size {
            throw TransportFailure(
                error: BerthError(
                    .registryUnreachable,
                    "\(writer.what): the registry ended the answer after \(writer.received) of \(writer.blob.size) bytes"
                ),
                retryable: true)
        }
    }
}
