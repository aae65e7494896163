import BerthModel

/// A user spec resolved to the numbers the kernel knows.
public struct ResolvedUser: Hashable, Sendable {
    /// The user id.
    public var uid: UInt32
    /// The primary group id.
    public var gid: UInt32
    /// Supplementary groups: the user's memberships in `/etc/group`, then `group_add`.
    public var additionalGids: [UInt32]
    /// The home directory from `/etc/passwd`, for `HOME`; `/` when unknown.
    public var home: String

    /// A resolved user from its parts.
    public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32] = [], home: String = "/") {
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
        self.home = home
    }
}

/// Resolves `user`, `user:group` and `group_add` against the container's
/// own `/etc/passwd` and `/etc/group`, never the host's: a name means what the
/// image says it means. The rules are runc's (`GetExecUser`), which docker
/// uses: a name is looked up, a number is taken as it is even when no entry
/// has it (then with gid 0 and home `/`), and an unknown name is an error.
public struct UserResolver: Sendable {
    /// One `/etc/passwd` line.
    struct Account: Hashable, Sendable {
        var name: String
        var uid: UInt32
        var gid: UInt32
        var home: String
    }

    /// One `/etc/group` line.
    struct Group: Hashable, Sendable {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    let accounts: [Account]
    let groups: [Group]

    /// A resolver over the text of a passwd and a group file; lines that do
    /// not parse are skipped, as libc skips them.
    public init(passwd: String, group: String) {
        accounts = passwd.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 6, !line.hasPrefix("#"), let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return Account(name: String(f[0]), uid: uid, gid: gid, home: String(f[5]))
        }
        groups = group.split(whereSeparator: \.isNewline).compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 3, !line.hasPrefix("#"), let gid = UInt32(f[2]) else { return nil }
            let members = f.count > 3 ? f[3].split(separator: ",").map(String.init) : []
            return Group(name: String(f[0]), gid: gid, members: members)
        }
    }

    /// A resolver over `/etc/passwd` and `/etc/group` inside `rootfs` (each
    /// may be missing: then only numbers resolve).
    public static func reading(rootfs: String) throws -> UserResolver {
        UserResolver(
            passwd: try RootfsPath.read("/etc/passwd", in: rootfs) ?? "",
            group: try RootfsPath.read("/etc/group", in: rootfs) ?? "")
    }

    /// Resolves `spec` (`""`/nil for root, `name`, `uid`, `name:group`,
    /// `uid:gid`, …) plus `groupAdd` for the container `container` (named in
    /// errors).
    public func resolve(_ spec: String?, groupAdd: [String] = [], container: ContainerID) throws -> ResolvedUser {
        let text = spec ?? ""
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let userPart = parts.first.map(String.init) ?? ""
        let groupPart = parts.count > 1 ? String(parts[1]) : ""

        var result = ResolvedUser(uid: 0, gid: 0, home: "/")
        var account: Account?
        if userPart.isEmpty {
            account = accounts.first { $0.uid == 0 }
        } else if let found = accounts.first(where: { $0.name == userPart }) {
            account = found
        } else if let uid = UInt32(userPart) {
            account = accounts.first { $0.uid == uid }
            result.uid = uid
        } else {
            throw BerthError(
                .unknownUser,
                "container \(container): user \"\(userPart)\" is not in the image's /etc/passwd",
                cause: "user \"\(text)\" was given by the service or the image")
        }
        if let account {
            result = ResolvedUser(uid: account.uid, gid: account.gid, home: account.home.isEmpty ? "/" : account.home)
        }
        if !groupPart.isEmpty {
            result.gid = try gid(of: groupPart, container: container, role: "group")
        }
        var extra: [UInt32] = []
        if let name = account?.name {
            extra = groups.filter { $0.members.contains(name) }.map(\.gid)
        }
        for group in groupAdd {
            extra.append(try gid(of: group, container: container, role: "group_add group"))
        }
        var seen = Set<UInt32>()
        result.additionalGids = extra.filter { seen.insert($0).inserted }
        return result
    }

    /// A group's id by name, or the number itself.
    private func gid(of group: String, container: ContainerID, role: String) throws -> UInt32 {
        if let found = groups.first(where: { $0.name == group }) { return found.gid }
        if let gid = UInt32(group) { return gid }
        throw BerthError(
            .unknownUser, "container \(container): \(role) \"\(group)\" is not in the image's /etc/group")
    }
}
