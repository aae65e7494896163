import BerthModel

extension Generation {
    /// `secrets` as Secrets mounted at `/run/secrets/NAME` (or the target),
    /// `configs` as ConfigMaps mounted at the target (`/NAME` by default),
    /// each one file through `subPath`, with its mode.
    mutating func addFiles(_ service: Service, secrets: Bool, into pod: inout PodParts) {
        let attribute = secrets ? "secrets" : "configs"
        for reference in secrets ? service.secrets : service.configs {
            let objects = secrets ? project.secrets : project.configs
            guard let object = objects[reference.source] else { continue }
            guard let name = KubeNames.object(object.source == .external ? object.name : reference.source) else {
                warn(service.name, attribute, "\"\(reference.source)\" has no Kubernetes name; dropped")
                continue
            }
            if object.source == .external {
                if made["external/\(attribute)/\(name)"] == nil {
                    made["external/\(attribute)/\(name)"] = reference.source
                    warnings.append(
                        "\(secrets ? "secret" : "config") \(reference.source): external: the \(secrets ? "Secret" : "ConfigMap") "
                            + "\"\(name)\" must exist in the namespace with the key \"\(KubeNames.dataKey(reference.source))\""
                    )
                }
            } else {
                addFileObject(reference.source, object, name: name, secret: secrets)
            }
            if reference.uid != nil || reference.gid != nil {
                warn(
                    service.name, attribute,
                    "uid and gid of \"\(reference.source)\" have no Kubernetes form (the pod's fsGroup owns it); dropped"
                )
            }
            let target = reference.target ?? (secrets ? reference.source : "/\(reference.source)")
            let path = target.hasPrefix("/") ? target : "/run/secrets/\(target)"
            let mode = reference.mode.map { "-\(String($0, radix: 8))" } ?? ""
            let volume = KubeNames.object("\(secrets ? "secret" : "config")-\(name)\(mode)") ?? attribute
            let key = KubeNames.dataKey(reference.source)
            let source: KubeValue =
                secrets
                ? .object([
                    "secret": .object(["defaultMode": reference.mode.map(KubeValue.int), "secretName": .string(name)])
                ])
                : .object([
                    "configMap": .object(["defaultMode": reference.mode.map(KubeValue.int), "name": .string(name)])
                ])
            pod.declare(volume, source)
            pod.mounts.append(
                .object([
                    "mountPath": .string(path), "name": .string(volume), "readOnly": true, "subPath": .string(key),
                ]))
        }
    }

    /// The Secret or ConfigMap of one top-level secret or config, made once.
    private mutating func addFileObject(_ key: String, _ object: FileObject, name: String, secret: Bool) {
        let kind = secret ? "Secret" : "ConfigMap"
        let origin = "\(secret ? "secret" : "config") \"\(key)\""
        if made["\(kind)/\(name)"] == origin { return }
        var bytes: [UInt8] = []
        switch object.source {
        case .file(let path):
            if let read = input.readFile(path) {
                bytes = read
            } else {
                warnings.append(
                    "\(secret ? "secret" : "config") \(key): file \(path) cannot be read; its \(kind) \"\(name)\" is made empty: "
                        + "fill it with kubectl create \(secret ? "secret generic" : "configmap") \(name) --from-file=\(KubeNames.dataKey(key))=FILE"
                )
            }
        case .environment(let variable):
            if let value = input.environment[variable] {
                bytes = Array(value.utf8)
            } else {
                warnings.append(
                    "\(secret ? "secret" : "config") \(key): the variable \(variable) is not set; its \(kind) \"\(name)\" is made empty"
                )
            }
        case .content(let text): bytes = Array(text.utf8)
        case .external: return
        }
        let dataKey = KubeNames.dataKey(key)
        let data: KubeValue
        if secret {
            data = .object(["data": .object([dataKey: .string(Base64.encode(bytes))]), "type": "Opaque"])
        } else if let text = String(validating: bytes, as: UTF8.self) {
            data = .object(["data": .object([dataKey: .string(text)])])
        } else {
            data = .object(["binaryData": .object([dataKey: .string(Base64.encode(bytes))])])
        }
        let labels = KubeValue.sorted(["com.docker.compose.project": KubeNames.labelValue(project.name.rawValue)])
        add(
            KubeObject(
                kind: kind, name: name, origin: origin,
                value: .map(
                    KubeValue.object([
                        "apiVersion": "v1", "kind": .string(kind),
                        "metadata": .object(["name": .string(name), "labels": labels]),
                    ]).fieldsOrEmpty + data.fieldsOrEmpty)), shared: true)
    }
}

/// RFC 4648 base64, as a Secret's `data` holds it.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
