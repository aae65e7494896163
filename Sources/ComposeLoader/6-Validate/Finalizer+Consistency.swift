import BerthModel

extension Finalizer {
    /// Checks across one merged service's fields that compose-go also makes
    /// (its `checkConsistency`): two spellings of one setting must agree, and
    /// two mounts must not share a target. Run after merging, so an override
    /// file may move a value from one spelling to the other.
    func consistencyErrors(_ service: ServiceFields, _ base: @autoclosure () -> String) -> [BerthError] {
        var errors: [BerthError] = []
        func fail(_ mark: Mark, _ path: String, _ message: String) {
            errors.append(BerthError(.invalidCompose, message, location: files.location(mark), path: path))
        }

        // The service-level spelling and its `deploy` twin (none without `deploy`).
        if let deploy = service.deploy {
            let pairs: [(String, Node?, Node?, String)] = [
                ("scale", service.scale, deploy["replicas"], "deploy.replicas"),
                ("cpus", service.cpus, deploy["resources"]?["limits"]?["cpus"], "deploy.resources.limits.cpus"),
                (
                    "mem_limit", service.memLimit, deploy["resources"]?["limits"]?["memory"],
                    "deploy.resources.limits.memory"
                ),
                (
                    "pids_limit", service.pidsLimit, deploy["resources"]?["limits"]?["pids"],
                    "deploy.resources.limits.pids"
                ),
                (
                    "mem_reservation", service.memReservation, deploy["resources"]?["reservations"]?["memory"],
                    "deploy.resources.reservations.memory"
                ),
            ]
            for (key, node, twin, twinPath) in pairs {
                guard let node, let text = node.scalarText, let other = twin?.scalarText, text != other else {
                    continue
                }
                fail(
                    node.mark, "\(base()).\(key)",
                    "\(key) (\(text)) and \(twinPath) (\(other)) disagree; set only one of them")
            }
        }

        // Mount targets: tmpfs entries (`/run[:options]`) and volumes, each
        // with where it was first mounted. Paths are written out only for an
        // error, and a few targets are compared in a list rather than hashed:
        // this check took 13,700 instructions a service with a dictionary of
        // eagerly written paths.
        var mounted: [(target: String, inTmpfs: Bool, index: Int)] = []
        var positions: [String: Int]? = nil
        func firstMount(of target: String) -> Int? {
            if positions == nil && mounted.count >= 16 {
                var index: [String: Int] = [:]
                for (i, m) in mounted.enumerated() where index[m.target] == nil { index[m.target] = i }
                positions = index
            }
            if let positions { return positions[target] }
            return mounted.firstIndex { $0.target == target }
        }
        func path(_ inTmpfs: Bool, _ index: Int) -> String {
            inTmpfs ? "\(base()).tmpfs[\(index)]" : "\(base()).volumes[\(index)]"
        }
        func mount(_ target: String, _ inTmpfs: Bool, _ index: Int, _ mark: Mark) {
            if let first = firstMount(of: target) {
                fail(
                    mark, path(inTmpfs, index),
                    "\(target) is already mounted by \(path(mounted[first].inTmpfs, mounted[first].index))")
            } else {
                positions?[target] = mounted.count
                mounted.append((target, inTmpfs, index))
            }
        }
        for (i, item) in (service.tmpfs?.items ?? []).enumerated() {
            guard let text = item.scalarText else { continue }
            mount(
                String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""), true, i,
                item.mark)
        }
        for (i, volume) in (service.volumes?.items ?? []).enumerated() {
            guard let target = volume["target"]?.scalarText else { continue }
            mount(target, false, i, volume.mark)
        }
        return errors
    }
}
