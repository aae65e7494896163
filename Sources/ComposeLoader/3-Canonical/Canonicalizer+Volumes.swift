import BerthModel

extension Canonicalizer {
    /// Service `volumes` in long form `{type, source, target, read_only, bind, volume, tmpfs}`.
    func volumes(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let items = value.items else {
            wrongType(value, path(), expected: "a list of volumes")
            return nil
        }
        var out: [Node] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            func p() -> String { "\(path())[\(i)]" }
            if item.entries != nil {
                if let v = longVolume(item, p()) { out.append(v) }
            } else if let raw = text(item, p(), expected: "a volume") {
                if let v = shortVolume(raw, item.mark, p()) { out.append(v) }
            }
        }
        return Node(.sequence(out), mark: value.mark, tag: value.tag)
    }

    /// A source that is a host path rather than a volume name (compose-go's rule).
    static func isHostPath(_ source: Substring) -> Bool {
        source.hasASCIIPrefix("/") || source.hasASCIIPrefix(".") || source.hasASCIIPrefix("~")
    }

    /// `[SOURCE:]TARGET[:MODE]`.
    func shortVolume(_ raw: String, _ mark: Mark, _ path: @autoclosure () -> String) -> Node? {
        if let volume = Emitter.withUTF8(raw, { quickShortVolume($0, mark) }) { return volume }
        return fullShortVolume(raw, mark, path())
    }

    /// The common shapes of the short syntax (`data:/var/lib/app`,
    /// `./conf:/etc/app:ro`: ASCII, a source, an absolute target, at most
    /// `ro` or `rw`) read straight from the bytes; nil for anything else,
    /// which `fullShortVolume` reads in full. Splitting into Substrings cost
    /// some 3,000 instructions a volume.
    func quickShortVolume(_ bytes: UnsafeBufferPointer<UInt8>, _ mark: Mark) -> Node? {
        var first: Int?, second: Int?
        for i in bytes.indices {
            let b = bytes[i]
            guard b < 0x80 else { return nil }
            if b == UInt8(ascii: ":") {
                if first == nil { first = i } else if second == nil { second = i } else { return nil }
            }
        }
        guard let first, first > 0 else { return nil }
        let targetEnd = second ?? bytes.count
        guard targetEnd > first + 1, bytes[first + 1] == UInt8(ascii: "/") else { return nil }
        var readOnly = false
        if let second {
            let mode = UnsafeBufferPointer(rebasing: bytes[(second + 1)...])
            if ScalarType.equals(mode, "ro") {
                readOnly = true
            } else if !ScalarType.equals(mode, "rw") {
                return nil
            }
        }
        let source = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<first]), as: UTF8.self)
        // Cleaned as compose-go cleans a short volume's target (`/var/www/html/` is `/var/www/html`).
        let target = Paths.normalize(
            String(decoding: UnsafeBufferPointer(rebasing: bytes[(first + 1)..<targetEnd]), as: UTF8.self))
        let isBind = bytes[0] == UInt8(ascii: "/") || bytes[0] == UInt8(ascii: ".") || bytes[0] == UInt8(ascii: "~")
        guard isBind || ResourceName.problem(source) == nil else { return nil }
        var pairs: [Node.Entry] = []
        pairs.reserveCapacity(4)
        pairs.append(.init(key: "type", keyMark: mark, value: .string(isBind ? "bind" : "volume", mark)))
        pairs.append(.init(key: "source", keyMark: mark, value: .string(isBind ? hostPath(source) : source, mark)))
        pairs.append(.init(key: "target", keyMark: mark, value: .string(target, mark)))
        if readOnly { pairs.append(.init(key: "read_only", keyMark: mark, value: .bool(true, mark))) }
        if isBind {
            pairs.append(
                .init(key: "bind", keyMark: mark, value: .map([("create_host_path", .bool(true, mark))], mark)))
        }
        return Node(.mapping(pairs), mark: mark, tag: .ordered)
    }

    /// `shortVolume` for every shape, errors included.
    func fullShortVolume(_ raw: String, _ mark: Mark, _ path: @autoclosure () -> String) -> Node? {
        let parts = raw.splitASCII(UInt8(ascii: ":"))
        guard (1...3).contains(parts.count), !parts.contains(where: { $0.isEmpty }) else {
            fail(mark, path(), "\"\(raw)\" must be TARGET, SOURCE:TARGET or SOURCE:TARGET:MODE")
            return nil
        }
        if parts.count == 1 {
            guard parts[0].hasASCIIPrefix("/") else {
                fail(mark, path(), "\"\(raw)\": the path inside the container must be absolute")
                return nil
            }
            return .init(
                .mapping([
                    .init(key: "type", keyMark: mark, value: .string("volume", mark)),
                    .init(key: "target", keyMark: mark, value: .string(Paths.normalize(String(parts[0])), mark)),
                ]), mark: mark, tag: .ordered)
        }
        let source = parts[0], target = parts[1]
        guard target.hasASCIIPrefix("/") else {
            fail(mark, path(), "\"\(raw)\": the path inside the container (\"\(target)\") must be absolute")
            return nil
        }
        var readOnly = false, nocopy = false
        var selinux: String?, propagation: String?
        if parts.count == 3 {
            for option in parts[2].splitASCII(UInt8(ascii: ",")) where !option.isEmpty {
                switch option {
                case "ro": readOnly = true
                case "rw": readOnly = false
                case "z", "Z": selinux = String(option)
                case "nocopy": nocopy = true
                case "shared", "rshared", "slave", "rslave", "private", "rprivate": propagation = String(option)
                case "consistent", "cached", "delegated": break
                default:
                    fail(
                        mark, path(),
                        "unknown volume option \"\(option)\" in \"\(raw)\" (ro, rw, z, Z, nocopy, or a propagation)")
                    return nil
                }
            }
        }
        let isBind = Self.isHostPath(source)
        if !isBind, let problem = ResourceNameText.problem(String(source)) {
            fail(mark, path(), "\"\(source)\" \(problem)")
            return nil
        }
        var pairs: [Node.Entry] = []
        pairs.reserveCapacity(5)
        pairs.append(.init(key: "type", keyMark: mark, value: .string(isBind ? "bind" : "volume", mark)))
        pairs.append(
            .init(
                key: "source", keyMark: mark, value: .string(isBind ? hostPath(String(source)) : String(source), mark)))
        pairs.append(.init(key: "target", keyMark: mark, value: .string(Paths.normalize(String(target)), mark)))
        if readOnly { pairs.append(.init(key: "read_only", keyMark: mark, value: .bool(true, mark))) }
        if isBind {
            var bind: [(String, Node)] = [("create_host_path", .bool(true, mark))]
            if let propagation { bind.append(("propagation", .string(propagation, mark))) }
            if let selinux { bind.append(("selinux", .string(selinux, mark))) }
            pairs.append(.init(key: "bind", keyMark: mark, value: .map(bind, mark)))
        } else if nocopy {
            pairs.append(.init(key: "volume", keyMark: mark, value: .map([("nocopy", .bool(true, mark))], mark)))
        }
        return Node(.mapping(pairs), mark: mark, tag: .ordered)
    }

    /// The long syntax, with bind sources made absolute.
    func longVolume(_ item: Node, _ path: @autoclosure () -> String) -> Node? {
        let entries = item.entries ?? []
        checkKeys(
            entries, path(),
            allowed: ["type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs", "image"])
        guard let typeNode = item["type"], let type = text(typeNode, "\(path()).type") else {
            if item["type"] == nil {
                fail(item.mark, path(), "a volume needs a \"type\" (volume, bind, tmpfs, image or npipe)")
            }
            return nil
        }
        guard ["volume", "bind", "tmpfs", "image", "npipe", "cluster"].contains(type) else {
            fail(
                typeNode.mark, "\(path()).type", "unknown volume type \"\(type)\" (volume, bind, tmpfs, image or npipe)"
            )
            return nil
        }
        guard let targetNode = item["target"], let target = text(targetNode, "\(path()).target") else {
            if item["target"] == nil { fail(item.mark, path(), "a volume needs a \"target\"") }
            return nil
        }
        guard target.hasPrefix("/") || type == "npipe" else {
            fail(targetNode.mark, "\(path()).target", "\"\(target)\": the path inside the container must be absolute")
            return nil
        }
        var pairs: [Node.Entry] = [.init(key: "type", keyMark: item.mark, value: .string(type, typeNode.mark))]
        if let sourceNode = item["source"], !sourceNode.isNull, let source = text(sourceNode, "\(path()).source") {
            var resolved = source
            if type == "bind" {
                resolved = hostPath(source)
            } else if type == "volume", let problem = ResourceNameText.problem(source) {
                fail(sourceNode.mark, "\(path()).source", "\"\(source)\" \(problem)")
                return nil
            }
            pairs.append(.init(key: "source", keyMark: sourceNode.mark, value: .string(resolved, sourceNode.mark)))
        } else if type == "bind" {
            fail(item.mark, path(), "a bind mount needs a \"source\"")
            return nil
        }
        pairs.append(.init(key: "target", keyMark: targetNode.mark, value: .string(target, targetNode.mark)))
        if let node = item["read_only"], let ro = bool(node, "\(path()).read_only"), ro {
            pairs.append(.init(key: "read_only", keyMark: node.mark, value: .bool(true, node.mark)))
        }
        if let node = item["consistency"], let s = stringNode(node, "\(path()).consistency") {
            pairs.append(.init(key: "consistency", keyMark: node.mark, value: s))
        }
        guard appendOptions(of: item, type: type, path(), to: &pairs) else { return nil }
        return Node(.mapping(pairs), mark: item.mark, tag: .ordered)
    }

    /// The long syntax's `bind`, `volume`, `tmpfs` and `image` options;
    /// false when one is not a mapping (already reported).
    private func appendOptions(
        of item: Node, type: String, _ path: @autoclosure () -> String, to pairs: inout [Node.Entry]
    ) -> Bool {
        if let node = item["bind"] {
            guard let fields = mapping(node, "\(path()).bind") else { return false }
            checkKeys(fields, "\(path()).bind", allowed: ["propagation", "create_host_path", "selinux", "recursive"])
            var bind: [(String, Node)] = []
            let create = node["create_host_path"].flatMap { bool($0, "\(path()).bind.create_host_path") } ?? true
            bind.append(("create_host_path", .bool(create, node.mark)))
            for key in ["propagation", "selinux", "recursive"] {
                if let v = node[key], let s = stringNode(v, "\(path()).bind.\(key)") { bind.append((key, s)) }
            }
            pairs.append(.init(key: "bind", keyMark: node.mark, value: .map(bind, node.mark)))
        } else if type == "bind" {
            pairs.append(
                .init(
                    key: "bind", keyMark: item.mark,
                    value: .map([("create_host_path", .bool(true, item.mark))], item.mark)))
        }
        if let node = item["volume"] {
            guard let fields = mapping(node, "\(path()).volume") else { return false }
            checkKeys(fields, "\(path()).volume", allowed: ["nocopy", "subpath"])
            var volume: [(String, Node)] = []
            if let v = node["nocopy"], let b = bool(v, "\(path()).volume.nocopy") {
                volume.append(("nocopy", .bool(b, v.mark)))
            }
            if let v = node["subpath"], let s = stringNode(v, "\(path()).volume.subpath") {
                volume.append(("subpath", s))
            }
            if !volume.isEmpty {
                pairs.append(.init(key: "volume", keyMark: node.mark, value: .map(volume, node.mark)))
            }
        }
        if let node = item["tmpfs"] {
            guard let fields = mapping(node, "\(path()).tmpfs") else { return false }
            checkKeys(fields, "\(path()).tmpfs", allowed: ["size", "mode"])
            var tmpfs: [(String, Node)] = []
            if let v = node["size"], let size = bytes(v, "\(path()).tmpfs.size") { tmpfs.append(("size", size)) }
            if let v = node["mode"], let raw = text(v, "\(path()).tmpfs.mode") {
                if let mode = FileModeText.parse(raw) {
                    tmpfs.append(("mode", .string(FileModeText.format(mode), v.mark)))
                } else {
                    fail(v.mark, "\(path()).tmpfs.mode", "must be an octal file mode like 1777")
                }
            }
            pairs.append(.init(key: "tmpfs", keyMark: node.mark, value: .map(tmpfs, node.mark)))
        }
        if let node = item["image"] { pairs.append(.init(key: "image", keyMark: node.mark, value: node)) }
        return true
    }

    /// A top-level volume.
    func volume(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        if value.isNull { return .map([], value.mark) }
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["name", "driver", "driver_opts", "external", "labels"])
        var out: [Node.Entry] = []
        var name: Node?
        for e in entries {
            // Extensions stay, as docker compose keeps them (`x-berth: {kube: …}` is read from here).
            if e.key.hasPrefix("x-") {
                out.append(e)
                continue
            }
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "name":
                name = stringNode(e.value, p())
                if let n = name?.scalarText, let problem = ResourceNameText.problem(n) {
                    fail(e.value.mark, p(), "\"\(n)\" \(problem)")
                    name = nil
                }
                continue
            case "driver": v = stringNode(e.value, p())
            case "driver_opts", "labels": v = listOrDict(e.value, p(), resolveBare: false)
            case "external": v = external(e.value, p(), name: &name)
            default: break
            }
            if let v { out.append(.init(key: e.key, keyMark: e.keyMark, value: v)) }
        }
        if let name { out.append(.init(key: "name", keyMark: name.mark, value: name)) }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }
}
