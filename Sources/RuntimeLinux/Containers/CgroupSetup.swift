import BerthModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Makes a hybrid cgroup host acceptable to crun.
///
/// On a hybrid host (cgroup v1 controllers under /sys/fs/cgroup/<name>, a
/// cgroup2 tree at /sys/fs/cgroup/unified), crun refuses to run while any
/// controller is attached to the cgroup2 tree: "cgroups in hybrid mode not
/// supported, drop all controllers from cgroupv2". A controller that no v1
/// hierarchy mounts (typically hugetlb) stays on cgroup2; mounting a v1
/// hierarchy for it moves it off, which is harmless since nothing else used
/// it. This does that, once, at driver start.
public enum CgroupSetup {
    /// What `ensureCompatible` found and did.
    public enum Outcome: Hashable, Sendable {
        /// Pure cgroup v2, pure v1, or hybrid with an empty cgroup2 tree.
        case compatible
        /// These controllers were moved from cgroup2 to v1 hierarchies.
        case moved([String])
    }

    /// The controllers listed in a `cgroup.controllers` file: the ones crun
    /// objects to on a hybrid host.
    public static func controllersToMove(_ controllersFile: String) -> [String] {
        controllersFile.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// Checks the layout under `root` (normally /sys/fs/cgroup) and moves
    /// every controller off a hybrid host's cgroup2 tree. Throws an error
    /// that explains the problem and the manual fix when it cannot.
    @discardableResult
    public static func ensureCompatible(root: String = "/sys/fs/cgroup") throws -> Outcome {
        let unified = root + "/unified/cgroup.controllers"
        guard let text = try? String(contentsOfFile: unified, encoding: .utf8) else {
            // No hybrid cgroup2 tree: either pure v2 (controllers at
            // root/cgroup.controllers, which crun wants) or pure v1.
            return .compatible
        }
        let controllers = controllersToMove(text)
        guard !controllers.isEmpty else { return .compatible }
        var moved: [String] = []
        for name in controllers {
            // Names come from the kernel, but they end up in a path and a
            // mount option: take only what a controller name can be.
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw failure(root: root, controllers: controllers, name: name, step: "an unexpected controller name")
            }
            let target = root + "/" + name
            if mkdir(target, 0o755) != 0 && errno != EEXIST {
                throw failure(
                    root: root, controllers: controllers, name: name,
                    step: "mkdir \(target): \(String(cString: strerror(errno)))")
            }
            if Glibc.mount("cgroup", target, "cgroup", 0, name) != 0 {
                let err = errno
                // EBUSY: the hierarchy is already mounted there; check again below.
                if err != EBUSY {
                    throw failure(
                        root: root, controllers: controllers, name: name,
                        step: "mount -t cgroup -o \(name) cgroup \(target): \(String(cString: strerror(err)))")
                }
            }
            moved.append(name)
        }
        let left = controllersToMove((try? String(contentsOfFile: unified, encoding: .utf8)) ?? "")
        guard left.isEmpty else {
            throw failure(
                root: root, controllers: controllers, name: left.joined(separator: " "),
                step: "the controllers are still listed after mounting")
        }
        return .moved(moved)
    }

    /// The error a user sees: what crun objects to, what Berth tried, why it
    /// failed, and the two ways out.
    private static func failure(root: String, controllers: [String], name: String, step: String) -> BerthError {
        let commands = controllers.map {
            "mkdir -p \(root)/\($0) && mount -t cgroup -o \($0) cgroup \(root)/\($0)"
        }.joined(separator: "; ")
        return BerthError(
            .cgroupSetup,
            "this host mixes cgroup v1 and v2 with the controller(s) \(controllers.joined(separator: ", ")) on the cgroup2 tree "
                + "(\(root)/unified/cgroup.controllers), and crun refuses that (\"cgroups in hybrid mode not supported, "
                + "drop all controllers from cgroupv2\"). Berth tried to move \(name) to a cgroup v1 hierarchy and failed: \(step). "
                + "As root, run: \(commands); or boot the host with pure cgroup v2 (systemd.unified_cgroup_hierarchy=1)",
            cause: step)
    }
}
