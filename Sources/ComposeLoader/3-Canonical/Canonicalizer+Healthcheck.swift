import BerthModel

extension Canonicalizer {
    /// `healthcheck` with `test` as a list, durations in Go's form.
    ///
    /// A string test is `CMD-SHELL` and the string, except the string `NONE`, which
    /// disables the check like `[NONE]` (docker compose would run `sh -c NONE`, fail,
    /// and, with Berth's restarts on unhealthy, restart the container forever).
    func healthcheck(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(
            entries, path(),
            allowed: ["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"])
        var out: [Node.Entry] = []
        out.reserveCapacity(entries.count)
        for e in entries where !e.key.hasPrefix("x-") {
            let key = e.key
            func p() -> String { "\(path()).\(key)" }
            var v: Node?
            switch e.key {
            case "test":
                switch e.value.value {
                case .scalar(let text, _) where !e.value.isNull:
                    v =
                        text == "NONE"
                        ? .seq([.string("NONE", e.value.mark)], e.value.mark)
                        : .seq([.string("CMD-SHELL", e.value.mark), .string(text, e.value.mark)], e.value.mark)
                case .sequence(let items):
                    let first = items.first?.scalarText
                    if let first, !["CMD", "CMD-SHELL", "NONE"].contains(first) {
                        fail(
                            items[0].mark, "\(p())[0]",
                            "a healthcheck test list must begin with CMD, CMD-SHELL or NONE, not \"\(first)\"")
                    } else if items.isEmpty {
                        fail(e.value.mark, p(), "a healthcheck test list must not be empty")
                    } else if first == "CMD" || first == "CMD-SHELL", items.count < 2 {
                        fail(e.value.mark, p(), "\(first ?? "") needs a command after it")
                    } else {
                        v = stringList(e.value, p())
                    }
                default:
                    wrongType(e.value, p(), expected: "a string or a list")
                }
            case "interval", "timeout", "start_period", "start_interval":
                v = duration(e.value, p())
            case "retries":
                v = int(e.value, p(), in: 0...Int(Int32.max)).map { .int($0, e.value.mark) }
            case "disable":
                v = bool(e.value, p()).map { .bool($0, e.value.mark) }
            default:
                break
            }
            if var v {
                if e.value.tag == .reset || e.value.tag == .override { v.tag = e.value.tag }
                out.append(.init(key: e.key, keyMark: e.keyMark, value: v))
            }
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }
}
