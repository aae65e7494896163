import Logging
import NIOCore
import Synchronization

/// Relays every query it gets to the host's resolvers (apple/container's
/// `ForwardingResolver`): each upstream in turn, over UDP with a timeout,
/// again over TCP when the UDP reply comes back truncated. When no upstream
/// gives a usable answer the client gets SERVFAIL, so it can try its next
/// server instead of caching a wrong "no such name".
///
/// Each attempt uses a fresh socket connected to the upstream with a random
/// query id: the kernel then drops datagrams from anyone else, the id and
/// the source port together make a forged reply hard to land, and an
/// upstream that is down answers with an ICMP error that fails the attempt
/// at once instead of after the timeout.
public struct ForwardingResolver: DNSResolver {
    /// The resolvers asked, in order.
    public let upstreams: [SocketAddress]
    /// How long one attempt (UDP, or UDP then TCP) may take per upstream.
    public let timeout: TimeAmount
    /// Where a container's own upstreams (`dns:`) are looked up; nil: none.
    public let records: DNSRecords?
    private let inFlight: InFlightLimit
    private let logger: Logger

    /// A forwarder to `upstreams`, each given `timeout` per query, with at
    /// most `maxInFlight` queries waiting on upstreams at once: each holds a
    /// socket, and a container looping over unknown names must not use up
    /// berthd's file descriptors. Queries over the limit get SERVFAIL.
    public init(
        upstreams: [SocketAddress], timeout: TimeAmount = .seconds(2), maxInFlight: Int = 1024,
        logger: Logger = Logger(label: "berth.dns"), records: DNSRecords? = nil
    ) {
        self.upstreams = upstreams
        self.records = records
        self.timeout = timeout
        self.inFlight = InFlightLimit(maxInFlight)
        self.logger = logger
    }

    /// The first upstream's usable reply, relayed as bytes with the client's
    /// id; SERVFAIL when none gives one.
    public func resolve(_ query: DNSQuery, on eventLoop: any EventLoop) -> DNSResolution {
        // An upstream equal to the listener the query came in on is this very
        // server (a resolv.conf written for containers read back by the host):
        // asking it would loop until the timeout.
        // A container with servers of its own (`dns:`) has its other names asked there.
        let servers = records?.upstreams(for: query.source) ?? upstreams
        // No server at all: the next resolver answers (NXDOMAIN).
        guard !servers.isEmpty else { return .pass }
        let candidates = servers.filter { $0 != query.local }
        guard inFlight.acquire() else {
            logger.warning("DNS forwarding limit reached", metadata: ["question": "\(query.question)"])
            return .answer(.message(DNSMessage(replyingTo: query.message, responseCode: .serverFailure)))
        }
        let inFlight = self.inFlight
        let reply = attempt(query.detached(), candidates[...], on: eventLoop)
        reply.whenComplete { _ in inFlight.release() }
        return .later(reply)
    }

    private func attempt(_ query: DNSQuery, _ remaining: ArraySlice<SocketAddress>, on eventLoop: any EventLoop)
        -> EventLoopFuture<DNSReply?>
    {
        guard let upstream = remaining.first else {
            return eventLoop.makeSucceededFuture(
                .message(DNSMessage(replyingTo: query.message, responseCode: .serverFailure)))
        }
        let logger = self.logger
        return exchange(query, with: upstream, on: eventLoop).flatMapThrowing { reply -> DNSReply? in
            // Move on from an upstream that cannot or will not answer, as
            // glibc's stub does; a name error or an answer is final.
            let code = try DNSMessage.decodeHeaderAndQuestions(reply).responseCode
            guard code != .serverFailure, code != .refused, code != .notImplemented else {
                throw DNSError(.dnsServer, "forwarding \(query.question) to \(upstream): upstream answered \(code)")
            }
            return .wire(reply)
        }.flatMapError { error in
            logger.debug("DNS upstream failed", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
            return self.attempt(query, remaining.dropFirst(), on: eventLoop)
        }
    }

    /// One upstream: UDP, then TCP if the UDP reply has TC set. The reply's
    /// id is set back to the client's.
    private func exchange(_ query: DNSQuery, with upstream: SocketAddress, on eventLoop: any EventLoop)
        -> EventLoopFuture<ByteBuffer>
    {
        let id = UInt16.random(in: .min ... .max)
        var relabelled = query.wire
        relabelled.setInteger(id, at: relabelled.readerIndex)
        let wire = relabelled
        let expected = UpstreamExchange.Expectation(id: id, question: query.question)
        let deadline = NIODeadline.now() + timeout
        return UpstreamExchange.udp(wire, expecting: expected, to: upstream, deadline: deadline, on: eventLoop)
            .flatMap { reply in
                guard reply.getInteger(at: reply.readerIndex + 2, as: UInt8.self).map({ $0 & 0x02 != 0 }) == true
                else { return eventLoop.makeSucceededFuture(reply) }
                return UpstreamExchange.tcp(wire, expecting: expected, to: upstream, deadline: deadline, on: eventLoop)
            }
            .map { reply in
                var reply = reply
                reply.setInteger(query.message.id, at: reply.readerIndex)
                return reply
            }
    }
}

/// Counts forwarded queries in flight across all event loops.
final class InFlightLimit: Sendable {
    private let count = Atomic<Int>(0)
    private let limit: Int

    init(_ limit: Int) { self.limit = limit }

    /// Takes a slot; false when all are taken.
    func acquire() -> Bool {
        if count.add(1, ordering: .relaxed).newValue <= limit { return true }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    /// Gives a slot back.
    func release() { count.subtract(1, ordering: .relaxed) }
}
