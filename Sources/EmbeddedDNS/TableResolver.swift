import NIOCore

/// Answers the names in a `DNSRecords` table (apple/container's
/// `HostTableResolver`), scoped to the networks of the query's source
/// address, and passes every other name on.
public struct TableResolver: DNSResolver {
    /// The table it reads.
    public let records: DNSRecords
    /// The TTL of its answers: docker's embedded DNS uses 600 seconds.
    public let ttl: UInt32

    /// A resolver over `records`.
    public init(records: DNSRecords, ttl: UInt32 = 600) {
        self.records = records
        self.ttl = ttl
    }

    /// `answer(_:)`, at once.
    public func resolve(_ query: DNSQuery, on eventLoop: any EventLoop) -> DNSResolution {
        guard let reply = answer(query) else { return .pass }
        return .answer(.message(reply))
    }

    /// The reply for `query` from the table, or nil when the table does not
    /// know the name on the asker's networks.
    ///
    /// - A and ANY: every address, shuffled per query so that clients which
    ///   take the first spread over the replicas.
    /// - AAAA and any other type of a known name: NOERROR with no answers
    ///   (NODATA), never NXDOMAIN: musl's resolver asks A and AAAA together
    ///   and fails the whole lookup when either says the name does not exist.
    /// - PTR of an address on the asker's networks: the name holding it, or
    ///   NXDOMAIN when the address is in the subnet but unassigned (it would
    ///   be pointless, and a leak, to ask the host's resolvers).
    public func answer(_ query: DNSQuery) -> DNSMessage? {
        // Networks are IPv4; an IPv6 client belongs to none of them.
        guard let source = IPv4Address(query.source) else { return nil }
        let question = query.question
        guard question.recordClass == .internet || question.recordClass == .any else { return nil }
        var reply = DNSMessage(replyingTo: query.message)
        reply.isAuthoritative = true

        if question.type == .ptr, let address = question.name.reversePointerAddress {
            switch records.name(for: address, from: source) {
            case .name(let target):
                reply.answers = [DNSResourceRecord(name: question.name, ttl: ttl, data: .ptr(target))]
            case .unassigned:
                reply.responseCode = .nameError
            case .outside:
                return nil
            }
            return reply
        }

        guard let addresses = records.addresses(of: question.name, from: source) else { return nil }
        switch question.type {
        case .a, .any:
            reply.answers = addresses.shuffled().map {
                DNSResourceRecord(name: question.name, ttl: ttl, data: .a($0))
            }
        default:
            break  // NODATA; see above for why not NXDOMAIN.
        }
        return reply
    }
}
