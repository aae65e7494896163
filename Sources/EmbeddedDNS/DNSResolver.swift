import NIOCore

/// How a query reached the server; the reply size limit depends on it.
public enum DNSTransport: Sendable, Hashable {
    /// A datagram: replies are limited to 512 bytes or the client's EDNS0 size.
    case udp
    /// A stream with two-byte length prefixes (RFC 1035 §4.2.2): up to 65,535 bytes.
    case tcp
}

/// A query as resolvers see it: decoded, with its single question, the
/// original bytes (for relaying upstream unchanged) and where it came from.
public struct DNSQuery: Sendable {
    /// The decoded query.
    public let message: DNSMessage
    /// The one question; the server answers FORMERR to anything else before
    /// a resolver sees it.
    public let question: DNSQuestion
    /// The query exactly as received.
    public private(set) var wire: ByteBuffer
    /// The client's address; the table resolver picks networks by it.
    public let source: SocketAddress
    /// The listener's address the query arrived on, when known.
    public let local: SocketAddress?
    /// UDP or TCP.
    public let transport: DNSTransport

    /// Wraps a decoded query; nil unless it has exactly one question.
    public init?(
        message: DNSMessage, wire: ByteBuffer, source: SocketAddress, local: SocketAddress?, transport: DNSTransport
    ) {
        guard message.questions.count == 1, let question = message.questions.first else { return nil }
        self.message = message
        self.question = question
        self.wire = wire
        self.source = source
        self.local = local
        self.transport = transport
    }

    /// The same query with its bytes copied into a buffer of their own. The
    /// received bytes are a slice of the listener's 64 KiB receive buffer,
    /// which NIO reuses only once nothing holds it; a query that waits on an
    /// upstream for seconds must not pin one such buffer each.
    func detached() -> DNSQuery {
        var copy = self
        copy.wire = ByteBuffer(bytes: wire.readableBytesView)
        return copy
    }
}

/// What a resolver hands back.
public enum DNSReply: Sendable {
    /// A reply the server encodes for the client, cutting it to the client's
    /// limit and adding its own OPT record when the query had one.
    case message(DNSMessage)
    /// An upstream's reply relayed as bytes, its id already the client's: the
    /// forwarder does not re-encode records it does not need to understand.
    case wire(ByteBuffer)
}

/// What a resolver makes of a query.
///
/// Answers from memory come back as `.answer` or `.pass` without a future:
/// table lookups are nearly every query, and allocating and chaining futures
/// for them cost a fifth of the server's time in a profile. Only work that
/// waits on the network (the forwarder) returns `.later`.
public enum DNSResolution: Sendable {
    /// The reply, ready now.
    case answer(DNSReply)
    /// Not this resolver's name: ask the next one.
    case pass
    /// Decided when the future completes: a reply, or nil to pass on. A
    /// failed future becomes SERVFAIL.
    case later(EventLoopFuture<DNSReply?>)
}

/// One link in the chain that answers a query (apple/container's
/// `DNSHandler`): it answers, or passes to let the next link try.
///
/// Resolvers run on the event loop the query arrived on and must not block
/// it; one that waits on the network returns `.later` with a future on
/// `eventLoop`.
public protocol DNSResolver: Sendable {
    /// Answers `query`, passes it on, or promises to decide later.
    func resolve(_ query: DNSQuery, on eventLoop: any EventLoop) -> DNSResolution
}

extension DNSResolution {
    /// The resolution as a future, for callers that simply wait.
    public func future(on eventLoop: any EventLoop) -> EventLoopFuture<DNSReply?> {
        switch self {
        case .answer(let reply): eventLoop.makeSucceededFuture(reply)
        case .pass: eventLoop.makeSucceededFuture(nil)
        case .later(let future): future
        }
    }
}

/// Asks its resolvers in order and returns the first answer.
public struct CompositeResolver: DNSResolver {
    private let resolvers: [any DNSResolver]

    /// A chain of `resolvers`, asked first to last.
    public init(_ resolvers: [any DNSResolver]) { self.resolvers = resolvers }

    /// The first resolver's answer; `.pass` when every resolver passes.
    public func resolve(_ query: DNSQuery, on eventLoop: any EventLoop) -> DNSResolution {
        resolve(query, on: eventLoop, from: resolvers[...])
    }

    private func resolve(_ query: DNSQuery, on eventLoop: any EventLoop, from remaining: ArraySlice<any DNSResolver>)
        -> DNSResolution
    {
        var remaining = remaining
        while let resolver = remaining.popFirst() {
            switch resolver.resolve(query, on: eventLoop) {
            case .answer(let reply):
                return .answer(reply)
            case .pass:
                continue
            case .later(let future):
                let rest = remaining
                return .later(
                    future.flatMap { reply in
                        if let reply { return eventLoop.makeSucceededFuture(reply) }
                        return self.resolve(query, on: eventLoop, from: rest).future(on: eventLoop)
                    })
            }
        }
        return .pass
    }
}

/// The end of a chain with no upstream: every name it reaches does not exist.
public struct NameErrorResolver: DNSResolver {
    /// Makes the resolver.
    public init() {}

    /// NXDOMAIN for every query.
    public func resolve(_ query: DNSQuery, on eventLoop: any EventLoop) -> DNSResolution {
        .answer(.message(DNSMessage(replyingTo: query.message, responseCode: .nameError)))
    }
}
