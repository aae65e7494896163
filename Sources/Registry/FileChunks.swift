import BerthModel
import Glibc
import NIOCore

/// A file read in pieces as an upload's body: the bytes of a layer go to
/// the registry without ever being held whole in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize: Int

    init(path: String, chunkSize: Int = 1 << 20) {
        self.path = path
        self.chunkSize = chunkSize
    }

    func makeAsyncIterator() -> Iterator { Iterator(path: path, chunkSize: chunkSize) }

    /// Opens the file on the first `next()`, closes it at the end.
    final class Iterator: AsyncIteratorProtocol {
        let path: String
        let chunkSize: Int
        private var fd: Int32 = -1
        private var done = false

        init(path: String, chunkSize: Int) {
            self.path = path
            self.chunkSize = chunkSize
        }

        deinit {
            if fd >= 0 { close(fd) }
        }

        func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    done = true
                    throw BerthError(.io, "cannot open \(path) to upload it", cause: String(cString: strerror(errno)))
                }
            }
            var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { raw in
                var got: Int
                repeat { got = read(fd, raw.baseAddress, chunkSize) } while got < 0 && errno == EINTR
                return Swift.max(got, 0)
            }
            if count == 0 {
                done = true
                close(fd)
                fd = -1
                return nil
            }
            return buffer
        }
    }
}
