import Logging
import NIOCore

/// Turns the bytes of one query into the bytes of its reply: decode,
/// validate, ask the resolver chain, encode for the transport's size limit.
/// The channel handlers only move bytes; every decision is here.
struct DNSResponder: Sendable {
    let resolver: any DNSResolver
    /// RA in replies: true when names outside the table are forwarded.
    let recursionAvailable: Bool
    /// The largest UDP reply sent, whatever size a client advertises, and the
    /// size advertised in our own OPT records.
    let maxUDPPayloadSize: Int
    let logger: Logger

    /// A reply's bytes, now or later; nil means stay silent.
    enum Outcome {
        case now(ByteBuffer?)
        case later(EventLoopFuture<ByteBuffer?>)
    }

    /// The reply to `wire`, or nil when the datagram deserves none (it is
    /// itself a reply, or too short to carry an id to answer to).
    func respond(
        to wire: ByteBuffer, from source: SocketAddress, local: SocketAddress?, transport: DNSTransport,
        on eventLoop: any EventLoop
    ) -> Outcome {
        let message: DNSMessage
        do {
            message = try DNSMessage(decoding: wire)
        } catch {
            logger.debug("DNS query did not decode", metadata: ["source": "\(source)", "error": "\(error)"])
            return .now(Self.formatError(for: wire))
        }
        // Answering a reply could start a loop between two servers.
        guard !message.isResponse else { return .now(nil) }
        let limit = replyLimit(for: message, over: transport)
        guard message.opcode == .query else { return .now(encode(.notImplemented, for: message, limit: limit)) }
        guard let query = DNSQuery(message: message, wire: wire, source: source, local: local, transport: transport)
        else { return .now(encode(.formatError, for: message, limit: limit)) }
        // RFC 6891 §6.1.3: a version we do not speak gets BADVERS.
        if let edns = message.edns, edns.version > 0 {
            return .now(encode(.badVersion, for: message, limit: limit))
        }
        switch resolver.resolve(query, on: eventLoop) {
        case .answer(let reply):
            return .now(encode(reply, for: message, limit: limit))
        case .pass:
            return .now(encode(.nameError, for: message, limit: limit))
        case .later(let future):
            let logger = self.logger
            return .later(
                future.map { reply -> ByteBuffer? in
                    guard let reply else { return self.encode(.nameError, for: message, limit: limit) }
                    return self.encode(reply, for: message, limit: limit)
                }.recover { error in
                    logger.warning(
                        "DNS resolver failed", metadata: ["question": "\(query.question)", "error": "\(error)"])
                    return self.encode(.serverFailure, for: message, limit: limit)
                })
        }
    }

    /// An empty reply with `code`, encoded.
    private func encode(_ code: DNSResponseCode, for query: DNSMessage, limit: Int) -> ByteBuffer? {
        encode(.message(DNSMessage(replyingTo: query, responseCode: code)), for: query, limit: limit)
    }

    /// 512 bytes over UDP unless the client's OPT record allows more (capped
    /// at `maxUDPPayloadSize`); 65,535 over TCP.
    func replyLimit(for query: DNSMessage, over transport: DNSTransport) -> Int {
        guard transport == .udp else { return DNSMessage.maxTCPSize }
        guard let edns = query.edns else { return 512 }
        return min(max(512, Int(edns.udpPayloadSize)), maxUDPPayloadSize)
    }

    /// The reply's bytes within `limit`. A relayed upstream reply that is too
    /// big (it came over TCP, or from a server that ignored our limit) is
    /// replaced by an empty one with TC set: cutting its records would mean
    /// decoding and re-encoding types this codec keeps only as raw bytes.
    func encode(_ reply: DNSReply, for query: DNSMessage, limit: Int) -> ByteBuffer? {
        var message: DNSMessage
        switch reply {
        case .wire(let bytes):
            if bytes.readableBytes <= limit { return bytes }
            message = DNSMessage(replyingTo: query)
            message.responseCode = (try? DNSMessage.decodeHeaderAndQuestions(bytes).responseCode) ?? .serverFailure
            message.isTruncated = true
        case .message(let answer):
            message = answer
        }
        message.recursionAvailable = recursionAvailable
        // RFC 6891 §7: answer an OPT with an OPT, and only then.
        message.edns = query.edns == nil ? nil : EDNS(udpPayloadSize: UInt16(clamping: maxUDPPayloadSize))
        do {
            return try message.encoded(maxSize: limit)
        } catch {
            logger.warning(
                "DNS reply did not encode", metadata: ["question": "\(query.questions)", "error": "\(error)"])
            let failure = DNSMessage(replyingTo: query, responseCode: .serverFailure)
            return try? failure.encoded(maxSize: limit)
        }
    }

    /// FORMERR for a query that does not decode, when its header at least
    /// holds an id and says it is a query; nil otherwise.
    static func formatError(for wire: ByteBuffer) -> ByteBuffer? {
        guard wire.readableBytes >= 12, let id = wire.getInteger(at: wire.readerIndex, as: UInt16.self),
            let flags = wire.getInteger(at: wire.readerIndex + 2, as: UInt16.self), flags & 0x8000 == 0
        else { return nil }
        let opcode = DNSOpcode(rawValue: UInt8(truncatingIfNeeded: flags >> 11))
        let reply = DNSMessage(
            id: id, isResponse: true, opcode: opcode, recursionDesired: flags & 0x0100 != 0, responseCode: .formatError)
        return try? reply.encoded()
    }
}
