import BerthModel
import CZlib
import CZstd

/// Streaming decompression of a layer: compressed bytes in, as they arrive;
/// the tar stream out, in pieces, to `output`. Holds its state between
/// calls, so a download that resumes after a break continues the stream.
protocol Inflater: AnyObject {
    /// Decompresses `input`, handing each piece of output to `output`.
    func feed(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws(BerthError) -> Void)
        throws(BerthError)
    /// The input has ended: throws if the stream is incomplete.
    func finish() throws(BerthError)
}

/// The inflater for `compression`, or nil for a plain tar.
func makeInflater(_ compression: Compression, what: String) throws(BerthError) -> (any Inflater)? {
    switch compression {
    case .none: nil
    case .gzip: try GzipInflater(what: what)
    case .zstd: try ZstdInflater(what: what)
    }
}

/// The size of one piece of output.
private let outputSize = 128 << 10

/// gzip through zlib's inflate; several members one after another (what
/// `pigz` and some builders write) are one stream.
final class GzipInflater: Inflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: outputSize, alignment: 1)
    private var ended = false
    private var started = false
    private let what: String

    init(what: String) throws(BerthError) {
        self.what = what
        stream.initialize(to: z_stream())
        // 15 window bits + 16: a gzip header is expected (and checked).
        started = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
        guard started else { throw BerthError(.system, "cannot start zlib for \(what)") }
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deallocate()
        buffer.deallocate()
    }

    func feed(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws(BerthError) -> Void)
        throws(BerthError)
    {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        if ended {
            // Another gzip member follows the one that ended.
            inflateReset(stream)
            ended = false
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        repeat {
            stream.pointee.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(buffer.count)
            let status = inflate(stream, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.pointee.avail_out)
            if produced > 0 { try output(UnsafeRawBufferPointer(rebasing: buffer[0..<produced])) }
            switch status {
            case Z_STREAM_END:
                ended = true
                if stream.pointee.avail_in > 0 {
                    inflateReset(stream)
                    ended = false
                }
            case Z_OK, Z_BUF_ERROR:
                break
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw BerthError(.invalidArchive, "\(what) is not valid gzip", cause: reason)
            }
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
    }

    func finish() throws(BerthError) {
        guard ended else { throw BerthError(.invalidArchive, "\(what) ends in the middle of its gzip stream") }
    }
}

/// zstd frames through libzstd's streaming decoder.
final class ZstdInflater: Inflater {
    private let stream: OpaquePointer
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: outputSize, alignment: 1)
    /// libzstd's last answer: 0 once a frame is complete and flushed.
    private var pending = 1
    private let what: String

    init(what: String) throws(BerthError) {
        self.what = what
        guard let stream = ZSTD_createDStream() else {
            buffer.deallocate()
            throw BerthError(.system, "cannot start libzstd for \(what)")
        }
        self.stream = stream
        ZSTD_initDStream(stream)
    }

    deinit {
        ZSTD_freeDStream(stream)
        buffer.deallocate()
    }

    func feed(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws(BerthError) -> Void)
        throws(BerthError)
    {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        var full = false
        while source.pos < source.size || full {
            var sink = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let status = ZSTD_decompressStream(stream, &sink, &source)
            if ZSTD_isError(status) != 0 {
                throw BerthError(
                    .invalidArchive, "\(what) is not valid zstd", cause: String(cString: ZSTD_getErrorName(status)))
            }
            pending = status
            if sink.pos > 0 { try output(UnsafeRawBufferPointer(rebasing: buffer[0..<sink.pos])) }
            full = sink.pos == sink.size
        }
    }

    func finish() throws(BerthError) {
        guard pending == 0 else { throw BerthError(.invalidArchive, "\(what) ends in the middle of a zstd frame") }
    }
}
