/// Slash-separated paths inside an image, with Go's `path` rules (BuildKit
/// resolves `WORKDIR` and destinations with them).
enum Paths {
    /// Go's `path.Clean`: no `.`, no `..` that can be resolved, no repeated or
    /// trailing `/`; `.` for an empty relative path.
    static func clean(_ path: String) -> String {
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".":
                continue
            case "..":
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !rooted {
                    parts.append(part)
                }
            default:
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Go's `path.Join`: the non-empty elements joined with `/`, cleaned.
    static func join(_ elements: String...) -> String {
        let kept = elements.filter { !$0.isEmpty }
        return kept.isEmpty ? "" : clean(kept.joined(separator: "/"))
    }

    /// The working directory after `WORKDIR path` from `current`: an absolute
    /// path stays exactly as written (BuildKit does not clean it); a
    /// relative one is joined to the current one.
    static func workdir(_ path: String, from current: String) -> String {
        if path.hasPrefix("/") { return path }
        let parent = current.hasPrefix("/") ? current : join("/", current)
        return path.isEmpty ? parent : join(parent, path)
    }

    /// A `COPY`/`ADD` destination made absolute against the working
    /// directory, keeping what a trailing `/` (or `/.`) says.
    static func destination(_ path: String, workdir: String) -> String {
        if path.hasPrefix("/") { return path }
        let relative = path == "." || path.isEmpty ? "./" : path
        var resolved = join(workdir, relative)
        if relative.hasSuffix("/") && !resolved.hasSuffix("/") {
            resolved += "/"
        } else if relative.hasSuffix("/.") {
            if resolved != "/" { resolved += "/" }
            resolved += "."
        }
        return resolved
    }

    /// The last element (`path.Base`): `file` of `/a/file`, `/` of `/`.
    static func base(_ path: String) -> String {
        let trimmed = path.split(separator: "/").last.map(String.init)
        return trimmed ?? (path.hasPrefix("/") ? "/" : ".")
    }
}
