import BerthModel

/// Keys that choose how a service's containers are run, stopped and logged:
/// `restart`, `stop_signal`, `pull_policy`, `cgroup`, `logging`.
extension Canonicalizer {
    /// `restart`: `no`, `always`, `on-failure[:N]` or `unless-stopped`.
    func restart(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let raw = text(value, path()) else { return nil }
        guard RestartText.isValid(raw) else {
            fail(value.mark, path(), "unknown restart policy \"\(raw)\" (no, always, on-failure[:N] or unless-stopped)")
            return nil
        }
        return .string(raw, value.mark)
    }

    /// `stop_signal`: a signal's name or number.
    func stopSignal(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let raw = text(value, path()) else { return nil }
        guard Signals.number(raw) != nil else {
            fail(value.mark, path(), "\"\(raw)\" is not a signal (write it like SIGTERM, SIGINT or 15)")
            return nil
        }
        return .string(raw, value.mark)
    }

    /// `cgroup`: `host` or `private`.
    func cgroup(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let raw = text(value, path()) else { return nil }
        guard raw == "host" || raw == "private" else {
            fail(value.mark, path(), "must be \"host\" or \"private\", not \"\(raw)\"")
            return nil
        }
        return .string(raw, value.mark)
    }

    /// `pull_policy`: one of the known policies, or `every_<duration>`.
    func pullPolicy(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let raw = text(value, path()) else { return nil }
        let known = ["always", "never", "missing", "if_not_present", "build", "daily", "weekly"]
        guard known.contains(raw) || raw.hasPrefix("every_") else {
            fail(value.mark, path(), "unknown pull policy \"\(raw)\" (one of \(known.joined(separator: ", ")))")
            return nil
        }
        return .string(raw, value.mark)
    }

    /// `logging`: `{driver, options}`.
    func logging(_ value: Node, _ path: @autoclosure () -> String) -> Node? {
        guard let entries = mapping(value, path()) else { return nil }
        checkKeys(entries, path(), allowed: ["driver", "options"])
        var out: [Node.Entry] = []
        for e in entries {
            if e.key == "driver", let s = stringNode(e.value, "\(path()).driver") {
                checkLogging(driver: s, options: nil, path())
                out.append(.init(key: e.key, keyMark: e.keyMark, value: s))
            }
            if e.key == "options", let m = listOrDict(e.value, "\(path()).options", resolveBare: false) {
                checkLogging(driver: nil, options: m, path())
                out.append(.init(key: e.key, keyMark: e.keyMark, value: m))
            }
        }
        return Node(.mapping(out), mark: value.mark, tag: value.tag)
    }

    /// A driver Berth does not know, or an option it cannot read, fails
    /// here with its place, as `up` would fail on it later without one.
    private func checkLogging(driver: Node?, options: Node?, _ path: String) {
        if let driver, let name = driver.scalarText {
            do throws(BerthError) {
                _ = try LogPolicy.resolve(Logging(driver: name))
            } catch {
                fail(driver.mark, "\(path).driver", error.message)
            }
        }
        for e in options?.entries ?? [] {
            guard let text = e.value.scalarText else { continue }
            do throws(BerthError) {
                _ = try LogPolicy.resolve(Logging(options: [e.key: text]))
            } catch {
                fail(e.value.mark, "\(path).options.\(e.key)", error.message)
            }
        }
    }
}
