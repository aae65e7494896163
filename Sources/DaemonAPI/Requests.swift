import BerthModel
import Foundation

/// A body with nothing in it.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}

/// What `ping` tells: the daemon is there, and which one.
public struct DaemonInfo: Codable, Sendable, Hashable {
    public var version: String
    public var pid: Int32
    public var root: String
    public var socket: String

    public init(version: String, pid: Int32, root: String, socket: String) {
        self.version = version
        self.pid = pid
        self.root = root
        self.socket = socket
    }
}

/// A list of names (images, volumes, networks) and whether to force.
public struct NamesRequest: Codable, Sendable, Hashable {
    public var names: [String]
    public var force: Bool

    public init(names: [String], force: Bool = false) {
        self.names = names
        self.force = force
    }
}

/// `berth up`: the whole loaded project (the CLI loads and validates it, so
/// errors name file:line:col before any round trip) and the flags.
public struct UpRequest: Codable, Sendable, Hashable {
    public var project: Project
    /// Services named on the command line; empty: all.
    public var services: [String]
    public var noDeps: Bool
    public var forceRecreate: Bool
    public var noRecreate: Bool
    public var removeOrphans: Bool
    public var scale: [String: Int]
    public var noStart: Bool
    /// `--wait`: return once every service is running and healthy (or done).
    public var wait: Bool
    /// `--wait-timeout`, seconds; nil waits for ever.
    public var waitTimeout: Double?
    /// `-t`: the grace period, seconds, for containers stopped to be recreated.
    public var timeout: Double?
    /// `-V`: recreated containers get new anonymous volumes, not the old ones.
    public var renewAnonymousVolumes: Bool
    /// `--pull always|missing|never|build`: overrides every service's `pull_policy`; nil: theirs.
    public var pull: String?
    /// The caller's docker config directory, for registry credentials; nil: berthd's.
    public var configDirectory: String?
    /// `--build`: build every service that has a `build:` first (the cache applies).
    public var build: Bool
    /// `--no-build`: build nothing, even a missing image.
    public var noBuild: Bool

    public init(
        project: Project, services: [String] = [], noDeps: Bool = false, forceRecreate: Bool = false,
        noRecreate: Bool = false, removeOrphans: Bool = false, scale: [String: Int] = [:], noStart: Bool = false,
        wait: Bool = false, waitTimeout: Double? = nil, timeout: Double? = nil, renewAnonymousVolumes: Bool = false,
        pull: String? = nil, configDirectory: String? = nil, build: Bool = false, noBuild: Bool = false
    ) {
        self.pull = pull
        self.configDirectory = configDirectory
        self.build = build
        self.noBuild = noBuild
        self.project = project
        self.services = services
        self.noDeps = noDeps
        self.forceRecreate = forceRecreate
        self.noRecreate = noRecreate
        self.removeOrphans = removeOrphans
        self.scale = scale
        self.noStart = noStart
        self.wait = wait
        self.waitTimeout = waitTimeout
        self.timeout = timeout
        self.renewAnonymousVolumes = renewAnonymousVolumes
    }
}

/// What `up` did, in the end.
public struct UpResult: Codable, Sendable, Hashable {
    /// True when nothing had to change.
    public var unchanged: Bool
    public var warnings: [String]
    /// The containers of the project now.
    public var containers: [ContainerSummary]

    public init(unchanged: Bool, warnings: [String] = [], containers: [ContainerSummary] = []) {
        self.unchanged = unchanged
        self.warnings = warnings
        self.containers = containers
    }
}

/// `berth down`. `project` given: its declared networks and volumes go and
/// services it lacks are orphans; nil: everything labelled `projectName`.
public struct DownRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var project: Project?
    public var removeVolumes: Bool
    public var removeOrphans: Bool
    /// `-t`, seconds.
    public var timeout: Double?
    /// `--rmi`: `local` (the images built for services without `image:`) or `all`.
    public var removeImages: String?

    public init(
        projectName: String, project: Project? = nil, removeVolumes: Bool = false, removeOrphans: Bool = false,
        timeout: Double? = nil, removeImages: String? = nil
    ) {
        self.projectName = projectName
        self.project = project
        self.removeVolumes = removeVolumes
        self.removeOrphans = removeOrphans
        self.timeout = timeout
        self.removeImages = removeImages
    }
}

/// `start`, `stop`, `restart`, `kill`, `rm` on some or all services of a project.
public struct ContainerActionRequest: Codable, Sendable, Hashable {
    public enum Action: String, Codable, Sendable, Hashable { case start, stop, restart, kill, remove, pause, unpause }
    public var projectName: String
    public var action: Action
    /// Empty: every service.
    public var services: [String]
    /// For `kill`.
    public var signal: String?
    /// `-t`, seconds.
    public var timeout: Double?
    /// For `rm`: running containers too (`-f` with `-s`, stopped first).
    public var force: Bool

    public init(
        projectName: String, action: Action, services: [String] = [], signal: String? = nil,
        timeout: Double? = nil, force: Bool = false
    ) {
        self.projectName = projectName
        self.action = action
        self.services = services
        self.signal = signal
        self.timeout = timeout
        self.force = force
    }
}

/// `berth ps`.
public struct PsRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var services: [String]
    /// `-a`: stopped containers too.
    public var all: Bool

    public init(projectName: String, services: [String] = [], all: Bool = false) {
        self.projectName = projectName
        self.services = services
        self.all = all
    }
}

/// `berth logs`.
public struct LogsRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var services: [String]
    public var follow: Bool
    /// Lines from the end of each container's log; nil: all.
    public var tail: Int?
    /// Seconds since the epoch; only entries at or after it.
    public var since: Double?
    /// Seconds since the epoch; only entries before it (`--until`).
    public var until: Double?

    public init(
        projectName: String, services: [String] = [], follow: Bool = false, tail: Int? = nil, since: Double? = nil,
        until: Double? = nil
    ) {
        self.projectName = projectName
        self.services = services
        self.follow = follow
        self.tail = tail
        self.since = since
        self.until = until
    }
}

/// One line of a container's output.
public struct LogEntry: Codable, Sendable, Hashable {
    public var container: String
    public var service: String
    /// `stdout` or `stderr`.
    public var stream: String
    /// RFC 3339 with nanoseconds, as docker's json-file writes it.
    public var time: String
    /// The line, without its newline.
    public var text: String

    public init(container: String, service: String, stream: String, time: String, text: String) {
        self.container = container
        self.service = service
        self.stream = stream
        self.time = time
        self.text = text
    }

    /// `time` in seconds since the epoch (`2026-11-29T19:50:56.123456789Z`
    /// → 1764445856.123456789), or nil when it is not RFC 3339 in UTC.
    public var seconds: Double? {
        Self.seconds(time)
    }

    /// An RFC 3339 time in UTC (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, as
    /// json-file logs write it) in seconds since the epoch; read by hand,
    /// since a formatter per line costs more than the line.
    public static func seconds(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"),
            bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), let digits = number(20..<bytes.count - 1) else { return nil }
            fraction = Double(digits) / pow(10, Double(bytes.count - 21))
        }
        // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + fraction
    }
}

/// `berth exec -T`: a command in a running container of a service.
public struct ExecRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var service: String
    /// `--index`, from 1.
    public var index: Int
    public var command: [String]
    public var environment: [String: String]
    public var user: String?
    public var workingDir: String?
    /// The CLI's piped or redirected standard input, base64; nil: none.
    public var standardInput: String?

    public init(
        projectName: String, service: String, index: Int = 1, command: [String], environment: [String: String] = [:],
        user: String? = nil, workingDir: String? = nil, standardInput: String? = nil
    ) {
        self.projectName = projectName
        self.service = service
        self.index = index
        self.command = command
        self.environment = environment
        self.user = user
        self.workingDir = workingDir
        self.standardInput = standardInput
    }
}

/// The output and exit code of an exec.
/// A piece of an `exec`'s output, as the command wrote it.
public struct ExecChunk: Codable, Sendable, Hashable {
    /// `stdout` or `stderr`.
    public var stream: String
    /// The bytes, base64: output need not be text (`pg_dump -Fc`).
    public var data: String

    public init(stream: String, data: String) {
        self.stream = stream
        self.data = data
    }
}

/// How an `exec` ended.
public struct ExecExit: Codable, Sendable, Hashable {
    public var exitCode: Int32

    public init(exitCode: Int32) {
        self.exitCode = exitCode
    }
}

/// `berth wait SERVICE…`.
public struct WaitRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var services: [String]

    public init(projectName: String, services: [String]) {
        self.projectName = projectName
        self.services = services
    }
}

/// Exit codes by container name.
public struct WaitResponse: Codable, Sendable, Hashable {
    public var exitCodes: [String: Int32]

    public init(exitCodes: [String: Int32]) { self.exitCodes = exitCodes }
}

/// `berth events`.
public struct EventsRequest: Codable, Sendable, Hashable {
    /// nil: every project.
    public var projectName: String?

    public init(projectName: String? = nil) { self.projectName = projectName }
}

/// `berth top`.
public struct TopRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var services: [String]

    public init(projectName: String, services: [String] = []) {
        self.projectName = projectName
        self.services = services
    }
}

/// `berth stats`.
public struct StatsRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var services: [String]
    /// Stopped containers too (with zeros), as `stats -a`.
    public var all: Bool

    public init(projectName: String, services: [String] = [], all: Bool = false) {
        self.projectName = projectName
        self.services = services
        self.all = all
    }
}

/// `berth cp`: one service's container (by index) and the copy.
public struct CopyRequest: Codable, Sendable, Hashable {
    public var projectName: String
    public var service: String
    public var index: Int
    public var copy: ContainerCopy

    public init(projectName: String, service: String, index: Int, copy: ContainerCopy) {
        self.projectName = projectName
        self.service = service
        self.index = index
        self.copy = copy
    }
}

/// `berth image import FILE [NAME[:TAG]]`; the path is on berthd's host.
public struct ImageImportRequest: Codable, Sendable, Hashable {
    public var path: String
    public var reference: String?

    public init(path: String, reference: String? = nil) {
        self.path = path
        self.reference = reference
    }
}

/// `berth volume create NAME`.
public struct VolumeCreateRequest: Codable, Sendable, Hashable {
    public var name: String
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels
    }
}

/// `berth run SERVICE [COMMAND…]`: a one-off container of a service.
public struct RunRequest: Codable, Sendable, Hashable {
    public var project: Project
    public var service: String
    /// Replaces the service's command when not empty.
    public var command: [String]
    public var entrypoint: [String]?
    public var environment: [String: String]
    public var user: String?
    public var workingDir: String?
    /// `--rm`: remove the container when it exits.
    public var remove: Bool
    /// `--no-deps`: do not start the services it depends on.
    public var noDeps: Bool
    /// `--service-ports`: publish the service's ports (off by default, as docker compose).
    public var servicePorts: Bool
    /// `-d`: start it and return its name.
    public var detach: Bool
    /// The CLI's piped or redirected standard input, base64; nil: none.
    public var standardInput: String?
    /// `--name`: the container's name instead of `<project>-<service>-run-<hex>`.
    public var name: String?
    /// `-v`: more mounts (binds with absolute sources, or named volumes).
    public var volumes: [Mount]?
    /// `-p`: ports published besides (or, without `--service-ports`, instead of) none.
    public var publish: [PortMapping]?
    /// `--use-aliases`: answer to the service's name and aliases on its networks.
    public var useAliases: Bool?
    /// `-l`: more labels.
    public var labels: [String: String]?
    /// `--cap-add`, `--cap-drop`.
    public var capAdd: [String]?
    public var capDrop: [String]?
    /// `-t` (or a terminal): the container gets a pseudo-terminal.
    public var tty: Bool?
    /// `-i`: its standard input stays open for the attach.
    public var stdinOpen: Bool?
    /// Create the container and answer with its name, unstarted: the CLI
    /// attaches (`SessionEndpoint.attach` with `start`) and it starts then.
    public var attach: Bool?

    public init(
        project: Project, service: String, command: [String] = [], entrypoint: [String]? = nil,
        environment: [String: String] = [:], user: String? = nil, workingDir: String? = nil, remove: Bool = false,
        noDeps: Bool = false, servicePorts: Bool = false, detach: Bool = false, standardInput: String? = nil
    ) {
        self.project = project
        self.service = service
        self.command = command
        self.entrypoint = entrypoint
        self.environment = environment
        self.user = user
        self.workingDir = workingDir
        self.remove = remove
        self.noDeps = noDeps
        self.servicePorts = servicePorts
        self.detach = detach
        self.standardInput = standardInput
    }
}

/// A line of a `run`'s stream: progress of its dependencies, or its output.
public enum RunOutput: Codable, Sendable, Hashable {
    case progress(ProgressEvent)
    case log(LogEntry)
}

/// How a `run` ended.
public struct RunResult: Codable, Sendable, Hashable {
    public var container: String
    /// nil with `-d`.
    public var exitCode: Int32?

    public init(container: String, exitCode: Int32?) {
        self.container = container
        self.exitCode = exitCode
    }
}
