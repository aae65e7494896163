import BerthModel

/// A route whose connection becomes a two-way stream of `SessionFrame`s:
/// `POST /v1/<name>` with a `Request` as JSON and `Upgrade: berth-session`,
/// answered `101 Switching Protocols`, after which both sides write frames
/// until the process ends (an `exit` or `error` frame) or the client closes
/// (a detach). As docker's attach/exec hijack, but framed, so that window
/// sizes, signals and the exit code ride on the same connection.
///
/// Before the `101` the answer may be an error status with a `BerthError`
/// as JSON, as for any route.
public struct SessionEndpoint<Request: Codable & Sendable>: Sendable, Hashable {
    /// The last part of the path: `exec-session`, `attach`.
    public let name: String

    /// The route `/v1/<name>`.
    public init(_ name: String) {
        self.name = name
    }

    /// The HTTP path of the route.
    public var path: String { "/v1/" + name }

    /// The protocol named in the `Upgrade` header both ways.
    public static var upgradeProtocol: String { "berth-session" }
}

extension SessionEndpoint where Request == ExecSessionRequest {
    /// `berth exec`: the command's standard streams, with or without a terminal.
    public static var execSession: Self { Self("exec-session") }
}

extension SessionEndpoint where Request == AttachRequest {
    /// `berth attach`, and `berth run -it` (which attaches before it starts).
    public static var attach: Self { Self("attach") }
}

/// `berth exec` through a session: what `ExecRequest` says, plus the terminal.
public struct ExecSessionRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var service: String
    /// 1-based replica number.
    public var index: Int
    public var command: [String]
    public var environment: [String: String]
    public var user: String?
    public var workingDir: String?
    /// Give the process a pseudo-terminal (stdout and stderr are then one stream).
    public var tty: Bool
    /// Relay the client's standard input; false: the process's is /dev/null.
    public var stdin: Bool
    /// `--privileged`: the exec gets every capability.
    public var privileged: Bool
    /// `-d`: start it and answer at once with exit code 0, relaying nothing.
    public var detach: Bool
    /// The terminal's size at the start (rows, columns); nil: the pty's default.
    public var size: WindowSize?

    public init(
        projectName: String, service: String, index: Int = 1, command: [String], environment: [String: String] = [:],
        user: String? = nil, workingDir: String? = nil, tty: Bool = false, stdin: Bool = true,
        privileged: Bool = false, detach: Bool = false, size: WindowSize? = nil
    ) {
        self.projectName = projectName
        self.service = service
        self.index = index
        self.command = command
        self.environment = environment
        self.user = user
        self.workingDir = workingDir
        self.tty = tty
        self.stdin = stdin
        self.privileged = privileged
        self.detach = detach
        self.size = size
    }
}

/// `berth attach`: a service's container (by replica), or a container by
/// name (`run -it` names the one-off it made).
public struct AttachRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var service: String
    public var index: Int
    /// A container's name, instead of service and index.
    public var container: String?
    /// Relay the client's standard input.
    public var stdin: Bool
    /// Start the (created) container once attached: `run -it`.
    public var start: Bool
    /// Remove the container once it has exited: `run --rm -it`.
    public var remove: Bool
    /// The terminal's size at the start.
    public var size: WindowSize?

    public init(
        projectName: String, service: String, index: Int = 1, container: String? = nil, stdin: Bool = true,
        start: Bool = false, remove: Bool = false, size: WindowSize? = nil
    ) {
        self.projectName = projectName
        self.service = service
        self.index = index
        self.container = container
        self.stdin = stdin
        self.start = start
        self.remove = remove
        self.size = size
    }
}

/// A terminal's size in characters.
public struct WindowSize: Codable, Sendable, Hashable {
    public var rows: UInt16
    public var columns: UInt16

    public init(rows: UInt16, columns: UInt16) {
        self.rows = rows
        self.columns = columns
    }
}

/// One message of a session, either way. On the wire: a kind byte, the
/// payload's length as 4 bytes big-endian, the payload.
public enum SessionFrame: Sendable, Hashable {
    // From the client.
    /// Bytes for the process's standard input (or its terminal).
    case input([UInt8])
    /// The client's standard input has ended: the process's is closed.
    case endOfInput
    /// The client's terminal has a new size.
    case resize(WindowSize)
    /// Deliver this signal to the process (`--sig-proxy` without a terminal).
    case signal(Int32)
    // From berthd.
    /// Bytes the process wrote to its standard output (or its terminal).
    case stdout([UInt8])
    /// Bytes it wrote to its standard error (never with a terminal).
    case stderr([UInt8])
    /// The process has ended with this code; the last frame.
    case exit(Int32)
    /// The session failed; the last frame.
    case error(BerthError)

    /// The kind byte of each frame.
    enum Kind: UInt8 {
        case input = 1, endOfInput = 2, resize = 3, signal = 4
        case stdout = 0x11, stderr = 0x12, exit = 0x13, error = 0x14
    }

    /// The header's size: kind and length.
    public static let headerSize = 5
    /// The largest payload a frame may carry; a peer announcing more is broken.
    public static let maxPayload = 1 << 20

    /// The frame as it goes on the wire.
    public func encoded() -> [UInt8] {
        let (kind, payload) = parts()
        let length = UInt32(payload.count)
        var bytes: [UInt8] = [kind.rawValue]
        bytes.reserveCapacity(Self.headerSize + payload.count)
        bytes += [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
        bytes += payload
        return bytes
    }

    private func parts() -> (Kind, [UInt8]) {
        switch self {
        case .input(let bytes): return (.input, bytes)
        case .endOfInput: return (.endOfInput, [])
        case .resize(let size):
            return (
                .resize,
                [UInt8(size.rows >> 8), UInt8(size.rows & 0xff), UInt8(size.columns >> 8), UInt8(size.columns & 0xff)]
            )
        case .signal(let number): return (.signal, Self.bigEndian(UInt32(bitPattern: number)))
        case .stdout(let bytes): return (.stdout, bytes)
        case .stderr(let bytes): return (.stderr, bytes)
        case .exit(let code): return (.exit, Self.bigEndian(UInt32(bitPattern: code)))
        case .error(let error): return (.error, (try? WireJSON.encode(error)) ?? [])
        }
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    /// Decodes one frame from its kind byte and payload.
    static func decode(kind raw: UInt8, payload: ArraySlice<UInt8>) throws(BerthError) -> SessionFrame {
        guard let kind = Kind(rawValue: raw) else {
            throw BerthError(.daemonProtocol, "a session frame of unknown kind \(raw)")
        }
        let word: () throws(BerthError) -> UInt32 = { () throws(BerthError) -> UInt32 in
            guard payload.count == 4 else {
                throw BerthError(.daemonProtocol, "a session \(kind) frame of \(payload.count) bytes, not 4")
            }
            return payload.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        switch kind {
        case .input: return .input(Array(payload))
        case .endOfInput: return .endOfInput
        case .resize:
            let value = try word()
            return .resize(WindowSize(rows: UInt16(value >> 16), columns: UInt16(value & 0xffff)))
        case .signal: return .signal(Int32(bitPattern: try word()))
        case .stdout: return .stdout(Array(payload))
        case .stderr: return .stderr(Array(payload))
        case .exit: return .exit(Int32(bitPattern: try word()))
        case .error:
            guard let error = try? WireJSON.decode(BerthError.self, from: Array(payload)) else {
                throw BerthError(.daemonProtocol, "a session error frame that is not a BerthError")
            }
            return .error(error)
        }
    }
}

/// Cuts a byte stream into frames wherever reads split it: a read may end
/// inside a header or a payload, or hold several frames.
public struct SessionFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    /// A decoder with nothing pending.
    public init() {}

    /// The frames `bytes` completes; a malformed frame throws, and the
    /// stream is then unusable.
    public mutating func frames(appending bytes: some Collection<UInt8>) throws(BerthError) -> [SessionFrame] {
        buffer += bytes
        var frames: [SessionFrame] = []
        while buffer.count - start >= SessionFrame.headerSize {
            let length = buffer[(start + 1)..<(start + 5)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= SessionFrame.maxPayload else {
                throw BerthError(.daemonProtocol, "a session frame of \(length) bytes (at most 1 MiB)")
            }
            let end = start + SessionFrame.headerSize + length
            guard buffer.count >= end else { break }
            frames.append(
                try SessionFrame.decode(kind: buffer[start], payload: buffer[(start + SessionFrame.headerSize)..<end]))
            start = end
        }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 1 << 16 {
            buffer.removeFirst(start)
            start = 0
        }
        return frames
    }

    /// Bytes received that do not yet make a whole frame.
    public var pendingBytes: Int { buffer.count - start }
}
