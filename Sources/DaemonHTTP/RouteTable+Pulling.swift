import BerthModel
import DaemonAPI

extension RouteTable {
    /// Answers `endpoint` with the items of the stream of batches `body`
    /// returns, each pulled only once the client has taken the ones before: however long
    /// the answer (a 2 GB log), berthd holds a chunk of it, not all of it,
    /// and a client that leaves stops the reading at the next write. With
    /// `batching`, up to 64 KiB of frames go out as one chunk: for items
    /// that are at hand (a file read), never for a stream that waits for
    /// them (a follow), whose items must go out as they come.
    public mutating func on<Request, Item>(
        _ endpoint: StreamingEndpoint<Request, Item, Empty>,
        pulling body:
            @escaping @Sendable (Request) async throws -> (
                items: AsyncThrowingStream<[Item], any Error>, batching: Bool
            )
    ) {
        let path = endpoint.path
        handlers[path] = { bytes in
            let request = try Self.decode(Request.self, bytes, path)
            let pump: FramePump<Item>
            do {
                let (items, batching) = try await body(request)
                pump = FramePump(items, batching: batching)
            } catch {
                // Sent as a frame, as the other streaming routes send it.
                pump = FramePump(AsyncThrowingStream { throw error }, batching: false)
            }
            return .stream(AsyncThrowingStream { await pump.next() })
        }
    }
}

/// Frames from a stream of items, read on demand: one consumer (the
/// response writer) pulls, one call at a time.
final class FramePump<Item: Codable & Sendable>: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<[Item], any Error>.AsyncIterator
    private let batching: Bool
    private var finished = false
    static var batchBytes: Int { 65536 }

    init(_ items: AsyncThrowingStream<[Item], any Error>, batching: Bool) {
        iterator = items.makeAsyncIterator()
        self.batching = batching
    }

    /// The next frame or frames (one a line, without the last `\n`), the
    /// result or failure frame last, then nil.
    func next() async -> [UInt8]? {
        guard !finished else { return nil }
        var out: [UInt8] = []
        func add(_ frame: StreamFrame<Item, Empty>) {
            if !out.isEmpty { out.append(UInt8(ascii: "\n")) }
            out += (try? WireJSON.encode(frame)) ?? []
        }
        repeat {
            do {
                guard let items = try await iterator.next() else {
                    finished = true
                    add(.result(Empty()))
                    break
                }
                for item in items {
                    if let entry = item as? LogEntry {
                        if !out.isEmpty { out.append(UInt8(ascii: "\n")) }
                        out += entry.itemFrame
                    } else {
                        add(.item(item))
                    }
                }
            } catch {
                finished = true
                add(.failure(RouteTable.berthError(error)))
                break
            }
        } while batching && out.count < Self.batchBytes
        return out
    }
}
