// The embedded DNS server alone, for scripts/bench/dns.sh: serves N names
// from its table on 127.0.0.1:PORT (UDP and TCP) until it is killed.
//
// --echo serves no names: a SwiftNIO datagram channel set up as EmbeddedDNS's
// sends each query straight back with the response bit set. It is the floor
// of any server on NIO's event loop, for comparing with dnsmasq's poll loop.
//
// Name i is `name-<i>.bench` with address 198.18.x.y (RFC 2544's benchmark
// range: data only, no traffic goes there). The whole of 127.0.0.0/8 is the
// network's subnet, so every loopback client sees the names.
import BenchSupport
import EmbeddedDNS
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: berth-dns-bench [--port PORT] [--names N] [--address ADDRESS] [--echo]
      --port PORT        UDP and TCP port to serve on (default 5300)
      --names N          names to serve, name-0.bench and on (1-65536, default 1000)
      --address ADDRESS  address to serve on (default 127.0.0.1)
      --echo             serve no names: send each query back with the response bit set
    Runs until killed. scripts/bench/dns.sh builds and runs it.
    """

/// Command-line options, each with its default.
struct Options {
    let port: Int
    let names: Int
    let address: String
    let echo: Bool

    init(_ arguments: BenchArguments) throws {
        port = try arguments.number("--port", default: 5300, in: 0...65535)
        names = try arguments.number("--names", default: 1000, in: 1...65536)
        address = arguments.text("--address") ?? "127.0.0.1"
        echo = arguments.has("--echo")
    }
}

let options: Options
do {
    options = try Options(
        BenchArguments(usage: usage, options: ["--port", "--names", "--address"], flags: ["--echo"]))
} catch {
    print("berth-dns-bench: \(error)")
    exit(2)
}
guard let subnet = IPv4Subnet("127.0.0.0/8") else { exit(2) }

var table: [String: [IPv4Address]] = [:]
for index in 0..<options.names {
    table["name-\(index).bench"] = [
        IPv4Address(
            198, 18 + UInt8(index >> 16), UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index))
    ]
}

/// Sends each datagram back to its sender with the DNS response bit (QR) set.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        let flags = envelope.data.readerIndex + 2
        if let byte = envelope.data.getInteger(at: flags, as: UInt8.self) {
            envelope.data.setInteger(byte | 0x80, at: flags)
        }
        context.write(wrapOutboundOut(envelope), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

if options.echo {
    do {
        // The same channel options as EmbeddedDNS's UDP listener.
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
            .bind(host: options.address, port: options.port).get()
        print("berth-dns-bench: echoing on \(channel.localAddress.map { "\($0)" } ?? "?")")
        fflush(nil)
        try await channel.closeFuture.get()
    } catch {
        print("berth-dns-bench: \(error)")
        exit(1)
    }
    exit(0)
}

let records = DNSRecords()
do {
    try records.set(network: "bench", subnet: subnet, records: table)
    let address = try SocketAddress(ipAddress: options.address, port: options.port)
    let server = DNSServer(configuration: .init(records: records))
    let bound = try await server.start(addresses: [address])
    // For a person watching; scripts/bench/dns.sh waits until dig gets an answer.
    print("berth-dns-bench: serving \(options.names) names on \(bound.map { "\($0)" }.joined(separator: ", "))")
    fflush(nil)  // stdout is a pipe: flush so the script sees the line now
    while true { try await Task.sleep(for: .seconds(3600)) }
} catch {
    print("berth-dns-bench: \(error)")
    exit(1)
}
