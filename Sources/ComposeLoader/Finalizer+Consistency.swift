import BerthModel

extension Finalizer {
    /// Checks across one merged service's fields that compose-go also makes
    /// (its `checkConsistency`): two spellings of one setting must agree, and
    /// two mounts must not share a target. Run after merging, so an override
    /// file may move a value from one spelling to the other.
    func consistencyErrors(_ service: Node, _ base: String) -> [BerthError] {
        var errors: [BerthError] = []
        func fail(_ mark: Mark, _ path: String, _ message: String) {
            errors.append(BerthError(.invalidCompose, message, location: files.location(mark), path: path))
        }

        // The service-level spelling and its `deploy` twin.
        let deploy = service["deploy"]
        let pairs: [(String, Node?, String)] = [
            ("scale", deploy?["replicas"], "deploy.replicas"),
            ("cpus", deploy?["resources"]?["limits"]?["cpus"], "deploy.resources.limits.cpus"),
            ("mem_limit", deploy?["resources"]?["limits"]?["memory"], "deploy.resources.limits.memory"),
            ("pids_limit", deploy?["resources"]?["limits"]?["pids"], "deploy.resources.limits.pids"),
            ("mem_reservation", deploy?["resources"]?["reservations"]?["memory"], "deploy.resources.reservations.memory"),
        ]
        for (key, twin, twinPath) in pairs {
            guard let node = service[key], let text = node.scalarText, let other = twin?.scalarText, text != other else { continue }
            fail(node.mark, "\(base).\(key)", "\(key) (\(text)) and \(twinPath) (\(other)) disagree; set only one of them")
        }

        // Mount targets: tmpfs entries (`/run[:options]`) and volumes.
        var mounted: [String: String] = [:]
        for (i, item) in (service["tmpfs"]?.items ?? []).enumerated() {
            guard let text = item.scalarText else { continue }
            let target = String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            let path = "\(base).tmpfs[\(i)]"
            if let first = mounted[target] {
                fail(item.mark, path, "\(target) is already mounted by \(first)")
            } else {
                mounted[target] = path
            }
        }
        for (i, volume) in (service["volumes"]?.items ?? []).enumerated() {
            guard let target = volume["target"]?.scalarText else { continue }
            let path = "\(base).volumes[\(i)]"
            if let first = mounted[target] {
                fail(volume.mark, path, "\(target) is already mounted by \(first)")
            } else {
                mounted[target] = path
            }
        }
        return errors
    }
}
