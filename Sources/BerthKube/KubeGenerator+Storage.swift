import BerthModel

extension Generation {
    /// Mounts: named volumes as claims, anonymous ones and tmpfs as emptyDir,
    /// binds as a WARN (or hostPath), then secrets and configs as files.
    mutating func addStorage(_ service: Service, kind: WorkloadKind, into pod: inout PodParts) {
        for (i, mount) in service.volumes.enumerated() {
            var source: KubeValue?
            var name = "volume-\(i)"
            switch mount.type {
            case .volume:
                if let key = mount.source {
                    guard let claim = claim(key, service: service, kind: kind, into: &pod) else { continue }
                    name = claim.volume
                    source = claim.source
                } else {
                    source = .object(["emptyDir": .map([])])
                }
            case .tmpfs:
                name = "tmpfs-\(i)"
                source = memory(mount.tmpfsSize)
                if let mode = mount.tmpfsMode {
                    warn(
                        service.name, "volumes",
                        "tmpfs mode \(String(mode, radix: 8)) of \(mount.target) has no emptyDir form; dropped")
                }
            case .bind:
                name = "bind-\(i)"
                source = bind(mount, service: service)
            default:
                warn(
                    service.name, "volumes",
                    "\(mount.type.rawValue) mount at \(mount.target) has no Kubernetes form; dropped")
            }
            guard let source else { continue }
            if source != .map([]) { pod.declare(name, source) }
            pod.mounts.append(
                .object([
                    "mountPath": .string(mount.target), "name": .string(name), "readOnly": mount.readOnly ? true : nil,
                ]))
        }
        for (i, entry) in service.tmpfs.enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard let target = parts.first else { continue }
            var size: Int64?
            for option in parts.count == 2 ? parts[1].split(separator: ",") : [] where option.hasPrefix("size=") {
                size = Self.bytes(String(option.dropFirst(5)))
            }
            let name = "tmpfs-x\(i)"
            pod.declare(name, memory(size))
            pod.mounts.append(.object(["mountPath": .string(target), "name": .string(name)]))
        }
        addFiles(service, secrets: true, into: &pod)
        addFiles(service, secrets: false, into: &pod)
    }

    /// A memory-backed emptyDir, as a tmpfs is.
    private func memory(_ size: Int64?) -> KubeValue {
        .object([
            "emptyDir": .object(["medium": "Memory", "sizeLimit": size.map { .string(Self.quantity($0)) }])
        ])
    }

    /// docker's tmpfs size: bytes, or a number with k, m or g.
    static func bytes(_ text: String) -> Int64? {
        let lower = text.lowercased()
        let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        if let last = lower.last, let unit = units[last] {
            return Int64(lower.dropLast()).flatMap {
                $0.multipliedReportingOverflow(by: unit).overflow ? nil : $0 * unit
            }
        }
        return Int64(lower)
    }

    private mutating func bind(_ mount: Mount, service: Service) -> KubeValue? {
        let what = "\(mount.source ?? "?"):\(mount.target)"
        guard options.allowHostPath else {
            warn(
                service.name, "volumes",
                "bind mount \(what) is not carried to the cluster (a node's files are not this host's); "
                    + "put the files in the image or a ConfigMap, or pass --allow-hostpath")
            return nil
        }
        return .object([
            "hostPath": .object([
                "path": .string(mount.source ?? "/"), "type": mount.createHostPath ? "DirectoryOrCreate" : nil,
            ])
        ])
    }

    /// The claim for named volume `key`: a volumeClaimTemplate of a
    /// StatefulSet that alone uses it, else a PersistentVolumeClaim (none
    /// for an external volume, which must exist).
    private mutating func claim(
        _ key: String, service: Service, kind: WorkloadKind, into pod: inout PodParts
    ) -> (volume: String, source: KubeValue)? {
        guard let volume = project.volumes[key] else { return nil }
        let users = selected.filter { name in
            project.services[name]?.volumes.contains { $0.type == .volume && $0.source == key } == true
        }
        guard let claimName = KubeNames.object(volume.external ? volume.name : key) else {
            warn(service.name, "volumes", "volume \"\(key)\" has no Kubernetes name; dropped")
            return nil
        }
        // Only a claim one node at a time may mount needs the Recreate strategy.
        let spec = claimSpec(key, volume, quiet: true)
        if volume.external || spec["accessModes"] != ["ReadWriteMany"] && spec["accessModes"] != ["ReadOnlyMany"] {
            pod.claims = true
        }
        if volume.external {
            if users.first == service.name {
                warnings.append(
                    "volume \(key): external: the PersistentVolumeClaim \"\(claimName)\" must exist in the namespace")
            }
        } else if kind == .statefulSet && users == [service.name] {
            if !pod.claimTemplates.contains(where: { $0["metadata"]?["name"]?.text == claimName }) {
                pod.claimTemplates.append(
                    .object(["metadata": .object(["name": .string(claimName)]), "spec": claimSpec(key, volume)]))
            }
            return (claimName, .map([]))
        } else {
            addClaim(key, volume, name: claimName, users: users)
        }
        return (
            "volume-\(claimName)".count <= 63 ? "volume-\(claimName)" : claimName,
            .object(["persistentVolumeClaim": .object(["claimName": .string(claimName)])])
        )
    }

    private mutating func addClaim(_ key: String, _ volume: Volume, name: String, users: [String]) {
        if made["PersistentVolumeClaim/\(name)"] == "volume \"\(key)\"" { return }
        if volume.driver != nil || !volume.driverOptions.isEmpty {
            warnings.append(
                "volume \(key): attribute driver: a claim's storage comes from its storage class; the driver and its options are dropped"
            )
        }
        let spec = claimSpec(key, volume)
        if users.count > 1, spec["accessModes"] == ["ReadWriteOnce"] {
            warnings.append(
                "volume \(key): mounted by \(users.joined(separator: ", ")): with ReadWriteOnce their pods must run on one node; "
                    + "set x-berth: {kube: {access_mode: ReadWriteMany}} on the volume when its storage class allows it"
            )
        }
        add(
            KubeObject(
                kind: "PersistentVolumeClaim", name: name, origin: "volume \"\(key)\"",
                value: .object([
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": .object([
                        "name": .string(name),
                        "labels": .sorted([
                            "com.docker.compose.project": KubeNames.labelValue(project.name.rawValue),
                            "com.docker.compose.volume": KubeNames.labelValue(key),
                        ]),
                    ]),
                    "spec": spec,
                ])), shared: true)
    }

    /// Size, storage class and access mode from `x-berth.kube` or the volume's
    /// `berth.kube.*` labels; by default `defaultVolumeSize`, the cluster's default class, ReadWriteOnce.
    mutating func claimSpec(_ key: String, _ volume: Volume, quiet: Bool = false) -> KubeValue {
        let settings = input.volumeSettings[key] ?? [:]
        var size = settings["size"] ?? volume.labels["berth.kube.size"] ?? options.defaultVolumeSize
        if !Self.isQuantity(size) {
            if !quiet {
                warnings.append(
                    "volume \(key): size \"\(size)\" is not a Kubernetes quantity (10Gi, 500Mi); "
                        + "\(options.defaultVolumeSize) is claimed")
            }
            size = options.defaultVolumeSize
        }
        let storageClass = settings["storage_class"] ?? volume.labels["berth.kube.storage_class"]
        var access = settings["access_mode"] ?? volume.labels["berth.kube.access_mode"] ?? "ReadWriteOnce"
        if !["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"].contains(access) {
            if !quiet {
                warnings.append(
                    "volume \(key): access mode \"\(access)\" is not a Kubernetes one; ReadWriteOnce is claimed")
            }
            access = "ReadWriteOnce"
        }
        return .object([
            "accessModes": [.string(access)],
            "resources": .object(["requests": .object(["storage": .string(size)])]),
            "storageClassName": storageClass.map(KubeValue.string),
        ])
    }

    /// A number with an optional binary or decimal suffix (`10Gi`, `500M`, `1.5Gi`).
    static func isQuantity(_ text: String) -> Bool {
        let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E", ""]
        for suffix in suffixes where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            if !number.isEmpty, parts.count <= 2,
                parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } })
            {
                return true
            }
        }
        return false
    }
}
