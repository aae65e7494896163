import BerthModel

/// Walking the context: symlinks resolved within it, wildcard matches,
/// and the trees under selected directories.
extension BuildContext {
    /// `relative` with its symlinks followed inside the context, as if the
    /// context were the root of a file system: an absolute link target
    /// starts from the context's root, and `..` never leaves it.
    func resolve(_ relative: String, followingLast: Bool) throws(BerthError) -> String {
        var pending = relative.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            switch component {
            case "", ".": continue
            case "..":
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            default: break
            }
            let candidate = resolved + [component]
            let entry = try fileSystem.entry(at: hostPath(candidate.joined(separator: "/")))
            guard case .symlink(let target) = entry?.kind, followingLast || !pending.isEmpty else {
                resolved = candidate
                continue
            }
            links += 1
            guard links <= 255 else {
                throw BerthError(.buildContext, "\(relative): too many levels of symbolic links")
            }
            if target.hasPrefix("/") { resolved = [] }
            pending = target.split(separator: "/").map(String.init) + pending
        }
        return resolved.joined(separator: "/")
    }

    /// Collects, under `base`, the paths (relative to `base`) the wildcard
    /// `pattern` matches; a directory that matches is not entered.
    func walkMatches(_ base: String, pattern: GlobPattern, depth: Int, into found: inout [String]) throws(BerthError) {
        try walkMatches(base, relative: "", level: 1, pattern: pattern, depth: depth, into: &found)
    }

    private func walkMatches(
        _ base: String, relative: String, level: Int, pattern: GlobPattern, depth: Int, into found: inout [String]
    ) throws(BerthError) {
        let directory = relative.isEmpty ? base : join(base, relative)
        guard let entry = try fileSystem.entry(at: hostPath(directory)), entry.isDirectory else { return }
        for name in try fileSystem.names(in: hostPath(directory)) {
            let child = relative.isEmpty ? name : relative + "/" + name
            guard let entry = try fileSystem.entry(at: hostPath(join(base, child))) else { continue }
            let ignored = isIgnored(join(base, child))
            if ignored && !(entry.isDirectory && ignore.hasExceptions) { continue }
            if pattern.matches(child) {
                found.append(child)
            } else if entry.isDirectory && level < depth {
                try walkMatches(base, relative: child, level: level + 1, pattern: pattern, depth: depth, into: &found)
            }
        }
    }

    /// Everything under the directory `root` that a copy takes, relative to
    /// it, each directory before its contents: entries the `.dockerignore`
    /// or `excluder` leave out are skipped (a directory still comes when
    /// something under it is kept), and with `include` only what it selects
    /// (and the directories above that) is taken.
    func tree(_ root: String, excluder: PatternMatcher, include: PatternMatcher?) throws(BerthError) -> [ContextItem] {
        var items: [ContextItem] = []
        var walk = TreeWalk(
            context: self, excluder: excluder, include: include, root: root, ignoreInfo: ignoreInfo(root))
        try walk.walk("", ignoreInfo: walk.rootIgnoreInfo, excludeInfo: nil, includeInfo: nil, into: &items)
        return items
    }

    /// The ignore patterns `relative` matched, for matching what is under it.
    private func ignoreInfo(_ relative: String) -> [Bool]? {
        var info: [Bool]?
        var prefix = ""
        for component in relative.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            info = ignore.matchInfo(prefix, parents: info).1
        }
        return info
    }

    func join(_ base: String, _ relative: String) -> String {
        base.isEmpty ? relative : base + "/" + relative
    }
}

/// One walk of a selected directory.
private struct TreeWalk {
    let context: BuildContext
    let excluder: PatternMatcher
    let include: PatternMatcher?
    let root: String
    let rootIgnoreInfo: [Bool]?

    init(context: BuildContext, excluder: PatternMatcher, include: PatternMatcher?, root: String, ignoreInfo: [Bool]?) {
        self.context = context
        self.excluder = excluder
        self.include = include
        self.root = root
        rootIgnoreInfo = ignoreInfo
    }

    mutating func walk(
        _ relative: String, ignoreInfo: [Bool]?, excludeInfo: [Bool]?, includeInfo: [Bool]?,
        into items: inout [ContextItem]
    ) throws(BerthError) {
        let directory = context.join(root, relative)
        for name in try context.fileSystem.names(in: context.hostPath(directory)) {
            let child = relative.isEmpty ? name : relative + "/" + name
            let inContext = context.join(root, child)
            guard let entry = try context.fileSystem.entry(at: context.hostPath(inContext)) else { continue }
            let (ignored, childIgnore) = context.ignore.matchInfo(inContext, parents: ignoreInfo)
            let (excluded, childExclude) = excluder.matchInfo(child, parents: excludeInfo)
            let (included, childInclude) = include?.matchInfo(child, parents: includeInfo) ?? (true, [])
            let kept = !ignored && !excluded && included
            guard entry.isDirectory else {
                if kept { items.append(ContextItem(path: child, entry: entry)) }
                continue
            }
            var below: [ContextItem] = []
            if (!ignored || context.ignore.hasExceptions) && (!excluded || excluder.hasExceptions) {
                try walk(
                    child, ignoreInfo: childIgnore, excludeInfo: childExclude,
                    includeInfo: include == nil ? nil : childInclude, into: &below)
            }
            if kept || !below.isEmpty {
                items.append(ContextItem(path: child, entry: entry))
                items += below
            }
        }
    }
}
