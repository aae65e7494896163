import BerthModel
import CLinux
import Foundation
import Synchronization

/// The state an OCI runtime reports for a container (`crun state`).
public struct OCIState: Codable, Hashable, Sendable {
    /// The container id.
    public var id: String
    /// The init's pid in berthd's pid namespace; 0 once stopped.
    public var pid: Int32
    /// `created`, `running`, `paused` or `stopped`.
    public var status: String
    /// The bundle directory.
    public var bundle: String
    /// When crun created it (RFC 3339).
    public var created: String?
}

/// The OCI runtime verbs the driver uses, so that they are one seam: the
/// real one runs crun, a fake can record calls. `create`/`run` are not here:
/// the shim runs them, since it must be crun's parent to hold the
/// container's pipes and reap its init.
public protocol OCIRuntime: Sendable {
    /// The runtime's state of `id`, or nil when the runtime has no such container.
    func state(_ id: ContainerID) throws -> OCIState?
    /// Lets a created container's process run.
    func start(_ id: ContainerID) throws
    /// Sends `signal` to the container's init.
    func kill(_ id: ContainerID, signal: Int32) throws
    /// Freezes (`pause`) or thaws (`resume`) the container's processes.
    func freeze(_ id: ContainerID, _ frozen: Bool) throws
    /// Forgets the container, removing its cgroup; `force` kills it first.
    func delete(_ id: ContainerID, force: Bool) throws
    /// Runs the process described in `processFile` (OCI `process` JSON)
    /// inside the container and waits for it, `input` on its standard input;
    /// its host pid goes to `pidFile` when one is given.
    func exec(
        _ id: ContainerID, processFile: String, pidFile: String?, input: [UInt8], sink: ExecOutputSink?
    ) throws -> (status: Int32, stdout: [UInt8], stderr: [UInt8])
    /// The shim's arguments that say which runtime to run and where its state lives.
    var shimArguments: [String] { get }
    /// Starts (does not wait for) the process in `processFile` inside the
    /// container, with `descriptors` (`(ours, theirs)`) as its standard
    /// streams; with `consoleSocket` the runtime sends the master of the
    /// process's new pty there. The runtime's own errors go to `logFile`.
    func spawnExec(
        _ id: ContainerID, processFile: String, pidFile: String, consoleSocket: String?, logFile: String,
        descriptors: [(Int32, Int32)]
    ) throws -> Int32
}

extension OCIRuntime {
    /// A runtime that cannot run a process it does not wait for.
    public func spawnExec(
        _ id: ContainerID, processFile: String, pidFile: String, consoleSocket: String?, logFile: String,
        descriptors: [(Int32, Int32)]
    ) throws -> Int32 {
        throw BerthError(.unsupported, "this OCI runtime has no interactive exec")
    }
}

/// crun, run as a program: `crun [--root R] VERB …`.
public struct Crun: OCIRuntime {
    /// The crun binary.
    public var path: String
    /// crun's state directory; nil uses crun's default (/run/crun).
    public var root: String?

    /// What berthd executes for `path`: a sealed in-memory copy of it
    /// (`SealedBinary`), so that crun skips copying and re-executing
    /// itself on every exec; `path` when no copy could be made.
    public var executable: String

    /// crun at `path`, keeping its state under `root`.
    public init(path: String = "/usr/bin/crun", root: String? = nil) {
        self.path = path
        self.root = root
        self.executable = SealedBinary.copy(of: path) ?? path
    }

    /// `--crun PATH [--crun-root DIR]`.
    public var shimArguments: [String] {
        ["--crun", path] + (root.map { ["--crun-root", $0] } ?? [])
    }

    private func run(
        _ verb: String, _ args: [String], input: [UInt8] = [], sink: ExecOutputSink? = nil
    ) throws -> ChildProcess.Output {
        try ChildProcess.run(
            [path] + (root.map { ["--root", $0] } ?? []) + [verb] + args, executable: executable, input: input,
            sink: sink)
    }

    private func failure(_ verb: String, _ id: ContainerID, _ output: ChildProcess.Output) -> BerthError {
        BerthError(.runtime, "crun \(verb) \(id) failed with status \(output.status)", cause: output.errorText)
    }

    /// `crun state`; nil when crun has no state directory for `id`.
    public func state(_ id: ContainerID) throws -> OCIState? {
        let output = try run("state", [id.rawValue])
        guard output.status == 0 else {
            if output.errorText.contains("No such file or directory") { return nil }
            throw failure("state", id, output)
        }
        do {
            return try JSONDecoder().decode(OCIState.self, from: Data(output.stdout))
        } catch {
            throw BerthError(.runtime, "crun state \(id): unreadable output", cause: BerthError.describe(error))
        }
    }

    /// `crun start`.
    public func start(_ id: ContainerID) throws {
        let output = try run("start", [id.rawValue])
        guard output.status == 0 else { throw failure("start", id, output) }
    }

    /// `crun kill ID SIGNAL`; a container that is no longer running is an
    /// `invalidState` error, not a runtime failure.
    public func kill(_ id: ContainerID, signal: Int32) throws {
        let output = try run("kill", [id.rawValue, String(signal)])
        guard output.status == 0 else {
            if output.errorText.contains("No such process") {
                throw BerthError(.invalidState, "container \(id) is not running, so signal \(signal) was not sent")
            }
            throw failure("kill", id, output)
        }
    }

    /// `crun pause` or `crun resume` (the cgroup freezer).
    public func freeze(_ id: ContainerID, _ frozen: Bool) throws {
        let verb = frozen ? "pause" : "resume"
        let output = try run(verb, [id.rawValue])
        guard output.status == 0 else { throw failure(verb, id, output) }
    }

    /// `crun delete [--force]`; a container crun does not know is already deleted.
    public func delete(_ id: ContainerID, force: Bool) throws {
        let output = try run("delete", (force ? ["--force"] : []) + [id.rawValue])
        guard output.status == 0 else {
            if output.errorText.contains("No such file or directory") { return }
            throw failure("delete", id, output)
        }
    }

    /// `crun --log FILE exec --process FILE --pid-file FILE [--console-socket S] ID`,
    /// not waited for.
    public func spawnExec(
        _ id: ContainerID, processFile: String, pidFile: String, consoleSocket: String?, logFile: String,
        descriptors: [(Int32, Int32)]
    ) throws -> Int32 {
        var argv = [path] + (root.map { ["--root", $0] } ?? []) + ["--log=" + logFile, "exec"]
        argv += ["--process", processFile, "--pid-file", pidFile]
        if let consoleSocket { argv += ["--console-socket", consoleSocket] }
        return try ChildProcess.spawn(argv + [id.rawValue], executable: executable, descriptors: descriptors)
    }

    /// `crun exec --process FILE ID`: the file carries argv, env, user, cwd
    /// and capabilities, which crun's flags cannot all express (no
    /// supplementary groups).
    public func exec(
        _ id: ContainerID, processFile: String, pidFile: String?, input: [UInt8], sink: ExecOutputSink?
    ) throws -> (status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        let arguments = ["--process", processFile] + (pidFile.map { ["--pid-file", $0] } ?? []) + [id.rawValue]
        let output = try run("exec", arguments, input: input, sink: sink)
        return (output.status, output.stdout, output.stderr)
    }
}

/// Sealed in-memory copies of the programs berthd runs again and again,
/// one per path for the life of the process, run as `/proc/PID/fd/N`.
/// crun protects its binary from a container that would overwrite it
/// through `/proc/self/exe` (CVE-2019-5736) by copying itself into a
/// sealed memfd and executing that, on every run: two loads of crun and
/// its libraries per `exec`. Started from a sealed copy, it finds itself
/// protected already and goes on (runc's `memfd-bind` does the same).
enum SealedBinary {
    private static let copies = Mutex<[String: String]>([:])

    /// The path to execute for the program at `path`; nil when no copy can
    /// be made (no memfd or sealing), and the program is run as it is.
    static func copy(of path: String) -> String? {
        copies.withLock { copies in
            if let made = copies[path] { return made }
            let fd = berth_sealed_copy(path)
            guard fd >= 0 else { return nil }
            let made = "/proc/\(getpid())/fd/\(fd)"
            copies[path] = made
            return made
        }
    }
}
