import BerthModel
import Foundation

/// Standard input for `exec` and `run`, which have no terminal mode yet: a
/// file or pipe is read whole and sent with the request.
enum StandardInput {
    /// The most `exec` or `run` sends: berthd takes request bodies up to 64 MiB,
    /// base64 makes 4 bytes of 3, and the rest of the request needs room.
    static let limit = 47 << 20

    /// All of a piped or redirected standard input as the request carries
    /// it (base64), for `exec -T db psql < dump.sql` or `run --rm app import
    /// < data.csv`; nil for a terminal or /dev/null (a character device).
    static func encodedIfPiped() throws -> String? {
        var status = stat()
        guard fstat(0, &status) == 0, [S_IFREG, S_IFIFO].contains(status.st_mode & S_IFMT) else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                throw BerthError(.usage, "cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return Data(bytes).base64EncodedString() }
            bytes += buffer[0..<n]
            guard bytes.count <= limit else {
                throw BerthError(
                    .usage,
                    "standard input is larger than berth passes on (\(limit >> 20) MiB); "
                        + "copy the file in with a bind mount")
            }
        }
    }
}
