import BerthModel
import HostOS
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One berthd per root: the lock it holds on `<root>/berthd.lock` for its
/// whole life, taken before anything under the root is read or changed.
enum RootLock {
    /// Takes the root's lock, making the root (mode 0700) when missing;
    /// throws `daemonAlreadyRunning`, naming the holder's pid, when another
    /// berthd has it.
    static func acquire(root: String) throws(BerthError) -> FileLock {
        let path = root + "/berthd.lock"
        let lock: FileLock?
        do {
            try Files.makeDirectories(root, mode: 0o700)
            lock = try FileLock.acquire(path)
        } catch {
            throw BerthError(.system, "cannot lock berthd's root \(root)", cause: error.description)
        }
        guard let lock else {
            let holder = FileLock.holder(of: path).map { " (pid \($0))" } ?? ""
            throw BerthError(
                .daemonAlreadyRunning,
                "another berthd\(holder) already runs on root \(root): it holds \(path), and one berthd per root is allowed"
            )
        }
        return lock
    }
}

/// The root is root's alone: what it holds (each project's environment and
/// secrets, container bundles, probe output, the containers' files) is
/// readable by no other user. New files are written so; a root made by an
/// older berthd, whose files were 0644, is corrected here at start.
enum PrivateState {
    /// Directories made private (0700), relative to the root.
    static let directories = ["", "projects", "containers", "networks", "runtime", "runtime/containers"]
    /// Files made private (0600), relative to the root.
    static let files = ["supervisor.json", "berthd.log", "berthd.lock", "networks/networks.json"]

    /// Sets the modes of the root's directories and configuration files;
    /// what cannot be changed is logged, not fatal.
    static func secure(root: String, logger: Logger) throws(BerthError) {
        guard chmod(root, 0o700) == 0 else {
            throw BerthError(.system, "cannot make berthd's root \(root) private (mode 0700)", cause: errnoText())
        }
        var failed: [String] = []
        func restrict(_ path: String, _ mode: mode_t) {
            if chmod(path, mode) != 0 && errno != ENOENT { failed.append("\(path): \(errnoText())") }
        }
        for directory in directories.dropFirst() { restrict(root + "/" + directory, 0o700) }
        for file in files { restrict(root + "/" + file, 0o600) }
        for name in (try? Files.names(in: root + "/projects")) ?? [] { restrict(root + "/projects/" + name, 0o600) }
        for name in (try? Files.names(in: root + "/containers")) ?? [] {
            let directory = root + "/containers/" + name
            guard Files.kind(directory) == .directory else { continue }
            restrict(directory, 0o700)
            restrict(directory + "/config.json", 0o600)
            restrict(directory + "/json.log", 0o600)
        }
        if !failed.isEmpty { logger.warning("could not make private: \(failed.joined(separator: "; "))") }
    }

    private static func errnoText() -> String { HostOSError.describe(errno: errno) }
}
