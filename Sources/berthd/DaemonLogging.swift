import BerthModel
import Foundation
import HostOS

/// daemon.json's `log-driver` and `log-opts`, as dockerd reads them: the
/// logging of every container whose service sets none.
enum DaemonLogging {
    /// The default logging a daemon.json sets; nil when it sets none or
    /// there is no file. A driver Berth cannot use fails berthd's start.
    static func load(path: String) throws -> Logging? {
        struct Keys: Decodable {
            var driver: String?
            var options: [String: String]?
            enum CodingKeys: String, CodingKey {
                case driver = "log-driver", options = "log-opts"
            }
        }
        guard let bytes = try AtomicFile.read(path) else { return nil }
        let keys: Keys
        do {
            keys = try JSONDecoder().decode(Keys.self, from: Data(bytes))
        } catch {
            throw BerthError(.invalidArgument, "\(path): log-driver/log-opts are not read", cause: "\(error)")
        }
        guard keys.driver != nil || keys.options != nil else { return nil }
        let logging = Logging(driver: keys.driver, options: keys.options ?? [:])
        do {
            _ = try LogPolicy.resolve(logging)
        } catch {
            throw BerthError(error.code, "\(path): \(error.message)")
        }
        return logging
    }
}
