#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension AsyncThrowingStream.Continuation where Element: Sendable {
    /// Yields `element` into a stream made with a bounded buffer
    /// (`.bufferingOldest(n)`), waiting while the buffer is full: the
    /// producer (a log read from disk) goes only as fast as the consumer (a
    /// client on a socket) takes, and berthd holds `n` elements, not a
    /// whole log. False once the stream has ended (the consumer is gone).
    public func yieldWaiting(_ element: Element) async -> Bool {
        while true {
            switch yield(element) {
            case .enqueued: return true
            case .terminated: return false
            case .dropped:
                do {
                    try await Task.sleep(for: .milliseconds(1))
                } catch {
                    return false
                }
            @unknown default: return true
            }
        }
    }

    /// `yieldWaiting` for a producer on a thread of its own.
    public func yieldBlocking(_ element: Element) -> Bool {
        while true {
            switch yield(element) {
            case .enqueued: return true
            case .terminated: return false
            case .dropped: usleep(1000)
            @unknown default: return true
            }
        }
    }
}
