import BerthModel
import Foundation

/// How a container's init ended: the shim's `exit.json`.
public struct ExitStatus: Codable, Hashable, Sendable {
    /// The exit code; 128 + the signal when a signal killed it (docker's rule).
    public var exitCode: Int32
    /// The signal that killed it, if one did.
    public var signal: Int32?
    /// Whether the kernel's OOM killer acted in the container's memory cgroup.
    public var oomKilled: Bool
    /// When the shim reaped it (RFC 3339, nanoseconds, UTC).
    public var finishedAt: String
    /// The init's pid as it was.
    public var pid: Int32?

    /// An exit status from its parts.
    public init(exitCode: Int32, signal: Int32? = nil, oomKilled: Bool = false, finishedAt: String, pid: Int32? = nil) {
        self.exitCode = exitCode
        self.signal = signal
        self.oomKilled = oomKilled
        self.finishedAt = finishedAt
        self.pid = pid
    }

    /// Reads an exit record; nil when there is none yet.
    static func read(_ path: String) throws -> ExitStatus? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(ExitStatus.self, from: data)
        } catch {
            throw BerthError(.runtime, "unreadable exit record \(path)", cause: BerthError.describe(error))
        }
    }
}

/// Where a container is in its life, as `ContainerDriver.inspect` finds it
/// from crun's state and the shim's files (`observe`, which asks no crun,
/// gives an `ObservedStatus`; the runtime reports a `ContainerState`).
/// Transitions: created → running (start) → exited (its init ends);
/// created → exited (killed before start). `lost` is what is left when the
/// shim died without recording an exit.
public enum InspectedStatus: Hashable, Sendable {
    /// crun created it; its process waits for `start`.
    case created(pid: Int32)
    /// Its process runs.
    case running(pid: Int32)
    /// Frozen in its cgroup.
    case paused(pid: Int32)
    /// Its init ended; how is recorded.
    case exited(ExitStatus)
    /// The directory exists but neither crun nor the shim can tell more
    /// (the shim was killed, or the host rebooted).
    case lost(reason: String)

    /// docker's word for the state: `created`, `running`, `paused`, `exited`, `dead`.
    public var name: String {
        switch self {
        case .created: return "created"
        case .running: return "running"
        case .paused: return "paused"
        case .exited: return "exited"
        case .lost: return "dead"
        }
    }

    /// Whether the container's init is alive (created, running or paused).
    public var isAlive: Bool {
        switch self {
        case .created, .running, .paused: return true
        case .exited, .lost: return false
        }
    }
}

/// What `inspect` reports about one container.
public struct ContainerInspection: Hashable, Sendable {
    /// The container's id.
    public var id: ContainerID
    /// Its lifecycle state.
    public var status: InspectedStatus
    /// The shim's pid while the shim runs.
    public var shimPID: Int32?
    /// The container's directory (the OCI bundle).
    public var directory: String
    /// When crun created it (RFC 3339), while crun knows it.
    public var createdAt: String?
}

/// The result of `exec`: what the process printed and how it ended.
public struct ExecOutput: Hashable, Sendable {
    /// The exit code (128 + signal when killed).
    public var exitCode: Int32
    /// What it wrote to stdout.
    public var stdout: [UInt8]
    /// What it wrote to stderr.
    public var stderr: [UInt8]

    /// stdout as UTF-8 text.
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr as UTF-8 text.
    public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
}

/// What to run with `exec`.
/// Takes a process's output as it comes: the descriptor it wrote to (1 for
/// stdout, 2 for stderr) and the bytes.
public typealias ExecOutputSink = @Sendable (_ descriptor: Int32, _ bytes: [UInt8]) -> Void

public struct LinuxExecSpec: Hashable, Sendable {
    /// argv.
    public var command: [String]
    /// `KEY=value` entries added to (and winning over) the container's.
    public var environment: [String]
    /// `user[:group]` resolved in the container's own /etc/passwd; nil: the container's user.
    public var user: String?
    /// The working directory; nil: the container's.
    public var workingDir: String?
    /// Fed to the process's standard input, which then ends; empty: none.
    public var standardInput: [UInt8]

    /// An exec of `command`, optionally as another user, elsewhere, with more env.
    public init(
        _ command: [String], environment: [String] = [], user: String? = nil, workingDir: String? = nil,
        standardInput: [UInt8] = []
    ) {
        self.command = command
        self.environment = environment
        self.user = user
        self.workingDir = workingDir
        self.standardInput = standardInput
    }
}
