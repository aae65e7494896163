import BerthModel
import Foundation

/// berthd's settings file, `/etc/berth/daemon.json` (docker's file and
/// place, with Berth's directory): the keys berthd itself reads. Keys it
/// does not know are ignored, so one file serves every reader of it (the
/// registry settings, log defaults, docker's own keys).
///
/// Read by berthd (a flag or its environment variable overrides a key) and
/// by the CLI, so that a berthd the CLI starts gets what a configured one
/// gets and the CLI knows its socket.
public struct DaemonSettings: Codable, Sendable, Hashable {
    /// Where the file is unless `--config` or `BERTH_DAEMON_CONFIG` says otherwise.
    public static let defaultPath = "/etc/berth/daemon.json"
    /// The root when nothing names one.
    public static let defaultRoot = "/var/lib/berth"
    /// The socket when nothing names one.
    public static let defaultSocket = "/run/berth/berth.sock"

    /// `root` (docker's `data-root` is read too): where all state lives.
    public var root: String?
    /// `socket`: the unix socket the CLI talks to.
    public var socket: String?
    /// `name-prefix`: host interfaces, the nft table and the cgroup begin with it.
    public var namePrefix: String?
    /// `subnet-pool`: `CIDR/size` networks are cut from, e.g. `172.30.0.0/16/24`.
    public var subnetPool: String?

    enum CodingKeys: String, CodingKey {
        case root
        case dataRoot = "data-root"
        case socket
        case namePrefix = "name-prefix"
        case subnetPool = "subnet-pool"
    }

    /// Nothing set.
    public init(root: String? = nil, socket: String? = nil, namePrefix: String? = nil, subnetPool: String? = nil) {
        self.root = root
        self.socket = socket
        self.namePrefix = namePrefix
        self.subnetPool = subnetPool
    }

    public init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        root =
            try keys.decodeIfPresent(String.self, forKey: .root) ?? keys.decodeIfPresent(String.self, forKey: .dataRoot)
        socket = try keys.decodeIfPresent(String.self, forKey: .socket)
        namePrefix = try keys.decodeIfPresent(String.self, forKey: .namePrefix)
        subnetPool = try keys.decodeIfPresent(String.self, forKey: .subnetPool)
    }

    public func encode(to encoder: any Encoder) throws {
        var keys = encoder.container(keyedBy: CodingKeys.self)
        try keys.encodeIfPresent(root, forKey: .root)
        try keys.encodeIfPresent(socket, forKey: .socket)
        try keys.encodeIfPresent(namePrefix, forKey: .namePrefix)
        try keys.encodeIfPresent(subnetPool, forKey: .subnetPool)
    }

    /// The file at `path`; a missing file is no settings. A file that is not
    /// a JSON object, or a key of the wrong type, is an error naming the file.
    public static func load(path: String) throws(BerthError) -> DaemonSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            guard FileManager.default.fileExists(atPath: path) else { return DaemonSettings() }
            throw BerthError(.unreadableFile, "cannot read berthd's settings file \(path)")
        }
        do {
            return try JSONDecoder().decode(DaemonSettings.self, from: data)
        } catch {
            throw BerthError(.invalidArgument, "berthd's settings file \(path) is not valid", cause: "\(error)")
        }
    }

    /// The file berthd reads: `BERTH_DAEMON_CONFIG`, else the default.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["BERTH_DAEMON_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
    }
}
