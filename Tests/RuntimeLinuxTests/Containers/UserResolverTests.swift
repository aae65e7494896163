import BerthModel
import Foundation
import TestSupport
import Testing

@testable import RuntimeLinux

/// Users and groups resolve in the container's files, by runc's rules.
struct UserResolverTests {
    let resolver = UserResolver(
        passwd: """
            root:x:0:0:root:/root:/bin/sh
            # a comment
            www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
            broken line
            app:x:1000:1000::/home/app:/bin/sh
            """,
        group: """
            root:x:0:
            www-data:x:33:
            staff:x:50:www-data,app
            audio:x:29:app
            """)
    let id: ContainerID

    init() throws { id = try #require(ContainerID("web-1")) }

    @Test func emptyMeansRoot() throws {
        #expect(try resolver.resolve(nil, container: id) == ResolvedUser(uid: 0, gid: 0, home: "/root"))
        #expect(try resolver.resolve("", container: id).uid == 0)
    }

    @Test func namesResolveWithTheirGroupsAndHome() throws {
        #expect(
            try resolver.resolve("www-data", container: id)
                == ResolvedUser(uid: 33, gid: 33, additionalGids: [50], home: "/var/www"))
        #expect(try resolver.resolve("app", container: id).additionalGids == [50, 29])
    }

    @Test func numbersResolveEvenWithoutAnEntry() throws {
        #expect(try resolver.resolve("33", container: id).home == "/var/www")
        #expect(try resolver.resolve("4242", container: id) == ResolvedUser(uid: 4242, gid: 0, home: "/"))
    }

    @Test func userColonGroupInEveryForm() throws {
        #expect(try resolver.resolve("www-data:staff", container: id).gid == 50)
        #expect(try resolver.resolve("www-data:77", container: id).gid == 77)
        #expect(try resolver.resolve("1000:audio", container: id).gid == 29)
        #expect(try resolver.resolve("5:6", container: id) == ResolvedUser(uid: 5, gid: 6, home: "/"))
    }

    @Test func groupAddAppendsWithoutDuplicates() throws {
        let user = try resolver.resolve("www-data", groupAdd: ["audio", "50", "900"], container: id)
        #expect(user.additionalGids == [50, 29, 900])
    }

    @Test func unknownNamesAreErrorsNamingUserAndContainer() throws {
        let error = #expect(throws: BerthError.self) { try resolver.resolve("ghost", container: id) }
        #expect(error?.code == .unknownUser)
        #expect(error?.message == "container web-1: user \"ghost\" is not in the image's /etc/passwd")
        let group = #expect(throws: BerthError.self) { try resolver.resolve("app:wheel", container: id) }
        #expect(group?.message == "container web-1: group \"wheel\" is not in the image's /etc/group")
        #expect(throws: BerthError.self) { try resolver.resolve("app", groupAdd: ["nope"], container: id) }
    }

    @Test func rootfsSymlinksCannotEscapeTheRootfs() throws {
        let scratch = try ScratchDirectory(prefix: "berth-rootfs")
        defer { try? scratch.remove() }
        let root = scratch.path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
        try "mine:x:7:7::/:/bin/sh\n".write(toFile: root + "/real/passwd", atomically: true, encoding: .utf8)
        // Absolute and ../ links resolve inside the rootfs, never on the host.
        try fm.createSymbolicLink(atPath: root + "/etc/passwd", withDestinationPath: "/../../../real/passwd")
        try fm.createSymbolicLink(atPath: root + "/etc/group", withDestinationPath: "/etc/group-missing")
        let resolver = try UserResolver.reading(rootfs: root)
        #expect(try resolver.resolve("mine", container: id).uid == 7)
        #expect(try RootfsPath.resolve("/../../etc/shadow", in: root) == root + "/etc/shadow")
    }
}
