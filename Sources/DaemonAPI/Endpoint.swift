import BerthModel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A plain route of berthd's socket, with its types: `POST /v1/<name>` with
/// a `Request` as JSON, answered `200` with a `Response` as JSON, or a
/// non-2xx status with a `BerthError` as JSON.
///
/// The routes are the static members (`.ps`, `.volumes`, …), declared once
/// here: the daemon's route table registers a handler for each, and the
/// client calls it, both with the types the member names.
public struct Endpoint<Request: Codable & Sendable, Response: Codable & Sendable>: Sendable, Hashable {
    /// The last part of the path: `ps`, `image-remove`.
    public let name: String

    /// The route `/v1/<name>`.
    public init(_ name: String) {
        self.name = name
    }

    /// The HTTP path of the route.
    public var path: String { "/v1/" + name }
}

/// A streaming route of berthd's socket, with its types: `POST /v1/<name>`
/// with a `Request` as JSON, answered `200` with chunked newline-delimited
/// JSON, one `StreamFrame<Item, Result>` per line, ending with a `result` or
/// a `failure` frame. Like a plain route, it answers an error status when it
/// fails before its stream begins.
public struct StreamingEndpoint<Request: Codable & Sendable, Item: Codable & Sendable, Result: Codable & Sendable>:
    Sendable, Hashable
{
    /// The last part of the path: `up`, `container-action`.
    public let name: String

    /// The route `/v1/<name>`.
    public init(_ name: String) {
        self.name = name
    }

    /// The HTTP path of the route.
    public var path: String { "/v1/" + name }
}

/// One line of a streaming answer.
public enum StreamFrame<Item: Codable & Sendable, Result: Codable & Sendable>: Codable, Sendable {
    case item(Item)
    case result(Result)
    case failure(BerthError)
}

/// The JSON of the wire, both ways, for the client and the daemon alike.
public enum WireJSON {
    /// `value` as JSON bytes.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    /// A `T` from JSON bytes.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
