import DaemonAPI

/// The daemon's end of a session (`SessionEndpoint`): the frames the
/// client sends, and a way to send it frames. `incoming` finishes when the
/// client has gone (a detach, or Ctrl-C on a CLI without a terminal).
public struct SessionIO: Sendable {
    /// What the client sends: input, end of input, resizes, signals.
    public let incoming: AsyncStream<SessionFrame>
    /// Sends a frame to the client; after it has gone, frames are dropped.
    public let send: @Sendable (SessionFrame) -> Void

    /// A session over these two ends.
    public init(incoming: AsyncStream<SessionFrame>, send: @escaping @Sendable (SessionFrame) -> Void) {
        self.incoming = incoming
        self.send = send
    }
}
