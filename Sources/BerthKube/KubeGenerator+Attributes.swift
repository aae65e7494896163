import BerthModel

extension Generation {
    /// The attributes some rule converts (each rule warns about the parts it
    /// cannot carry). `deploy` is listed down to the keys that are read.
    static let mapped: Set<String> = [
        "image", "command", "entrypoint", "environment", "env_file", "labels", "ports", "expose", "volumes",
        "tmpfs", "networks", "network_mode", "depends_on", "healthcheck", "restart", "scale", "stop_grace_period",
        "user", "working_dir", "hostname", "domainname", "init", "read_only", "privileged", "tty", "stdin_open",
        "cap_add", "cap_drop", "security_opt", "secrets", "configs", "profiles", "pull_policy", "platform",
        "mem_limit", "mem_reservation", "cpus", "pids_limit", "shm_size", "sysctls", "extra_hosts", "dns",
        "dns_search", "dns_opt", "ipc", "pid", "x-berth", "deploy", "deploy.replicas", "deploy.resources",
        "deploy.resources.limits", "deploy.resources.limits.cpus", "deploy.resources.limits.memory",
        "deploy.resources.limits.pids", "deploy.resources.reservations", "deploy.resources.reservations.memory",
        "deploy.resources.reservations.cpus",
        "deploy.restart_policy", "deploy.restart_policy.condition", "deploy.restart_policy.max_attempts",
        // Read by the loader, which names the service's image after it; the cluster does not build.
        "build",
    ]

    /// What to tell about an attribute without a Kubernetes meaning, where there is more to say than that.
    static let reasons: [String: String] = [
        "container_name": "pods are named by their controller",
        "links": "every Service name resolves in the namespace; use the service's name",
        "external_links": "every Service name resolves in the namespace",
        "logging": "a cluster collects container output its own way",
        "stop_signal": "Kubernetes stops containers with SIGTERM",
        "ulimits": "a pod's limits are the node's",
        "volumes_from": "share a volume by naming it in both services",
        "devices": "devices reach pods through device plugins",
        "deploy.placement": "use nodeSelector or affinity on the generated workload",
    ]

    /// One WARN for each attribute of `service` that no rule converts (the
    /// highest such path only: `deploy.placement`, not its constraints).
    mutating func warnUnmapped(_ service: Service) {
        var warned: [String] = []
        for path in (input.attributes[service.name] ?? []).sorted() {
            if Self.mapped.contains(path) || path.hasPrefix("x-") { continue }
            if warned.contains(where: { path.hasPrefix($0 + ".") }) { continue }
            warned.append(path)
            let reason = Self.reasons[path].map { " (\($0))" } ?? ""
            warn(service.name, path, "has no Kubernetes meaning\(reason); dropped")
        }
        if service.build != nil, let image = service.image {
            warn(
                service.name, "build",
                "the cluster does not build; it pulls \(image): run `berth build \(service.name)` and "
                    + "`berth push \(service.name)` first")
        }
        if let name = names[service.name], name != service.name {
            warnings.append(
                "service \(service.name): its Kubernetes name is \"\(name)\"; clients that call it \"\(service.name)\" "
                    + "must use \"\(name)\" on the cluster")
        }
    }
}
