import Glibc
import HostOS
import TestSupport
import Testing

extension HostOSSystemTests {
    /// Persistent network namespaces: the file, the mount, `lo`, entering
    /// and deleting, read back with nsenter and /proc.
    @Suite struct Namespaces {
        @Test func createdNamespaceHasLoopbackUpAndIsAnNsfsMount() async throws {
            let names = TestNames.fresh()
            try await withScratchRoot { root in
                try await withNamespace(in: root, names.prefix) { namespace in
                    #expect(namespace.path == "\(root)/netns/\(names.prefix)")
                    let mounts = try Mounts.entries(under: root)
                    #expect(mounts.map(\.mountPoint) == [namespace.path])
                    #expect(mounts.first?.fsType == "nsfs")

                    let addresses = try await sh("nsenter", "--net=\(namespace.path)", "ip", "-o", "addr")
                    #expect(addresses.contains("lo    inet 127.0.0.1/8"))
                    let links = try await sh("nsenter", "--net=\(namespace.path)", "ip", "-o", "link")
                    #expect(links.contains("lo: <LOOPBACK,UP,LOWER_UP>"))
                    // Nothing else: a fresh namespace has only lo.
                    #expect(links.split(separator: "\n").count == 1)
                }
                #expect(try Mounts.entries(under: root).isEmpty)
                #expect(access("\(root)/netns/\(names.prefix)", F_OK) != 0)
            }
        }

        @Test func runEntersOnADedicatedThreadAndTheCallerStaysOnTheHost() async throws {
            let names = TestNames.fresh()
            try await withScratchRoot { root in
                try await withNamespace(in: root, names.prefix) { namespace in
                    let host = try namespaceInode("/proc/thread-self/ns/net")
                    let file = try namespaceInode(namespace.path)
                    #expect(host != file)
                    let inside = try namespace.runBlocking { try namespaceInode("/proc/thread-self/ns/net") }
                    #expect(inside == file)
                    let insideAsync = try await namespace.run { @Sendable in
                        try namespaceInode("/proc/thread-self/ns/net")
                    }
                    #expect(insideAsync == file)
                    #expect(try namespaceInode("/proc/thread-self/ns/net") == host)

                    // A socket opened inside stays there: it sees only lo.
                    let links = try namespace.netlink().links()
                    #expect(links.map(\.name) == ["lo"])
                    #expect(links.first?.isUp == true)
                }
            }
        }

        @Test func namesListsTheFilesOfADirectory() async throws {
            let names = TestNames.fresh()
            try await withScratchRoot { root in
                #expect(try NetworkNamespace.names(in: root + "/netns").isEmpty)
                try await withNamespace(in: root, names.prefix + "a") { _ in
                    try await withNamespace(in: root, names.prefix + "b") { _ in
                        let listed = try NetworkNamespace.names(in: root + "/netns").map(\.rawValue)
                        #expect(listed == [names.prefix + "a", names.prefix + "b"])
                    }
                }
            }
        }

        @Test func creatingANamespaceTwiceFailsAndNamesTheFile() async throws {
            let names = TestNames.fresh()
            try await withScratchRoot { root in
                try await withNamespace(in: root, names.prefix) { namespace in
                    let name = try #require(NetworkNamespace.Name(names.prefix))
                    let error = try #require(throws: HostOSError.self) {
                        try NetworkNamespace.create(name, in: root + "/netns")
                    }
                    #expect(error.description == "create network namespace \"\(namespace.path)\": File exists (EEXIST)")
                    // The failed attempt must not have stacked a mount.
                    #expect(try Mounts.entries(under: root).count == 1)
                }
            }
        }

        @Test func deletingAMissingNamespaceNamesIt() async throws {
            try await withScratchRoot { root in
                let error = try #require(throws: HostOSError.self) {
                    try NetworkNamespace(path: root + "/nothing").delete()
                }
                #expect(
                    error.description
                        == "delete network namespace \"\(root)/nothing\": No such file or directory (ENOENT)")
            }
        }
    }
}

/// The inode of an nsfs file: two paths name the same namespace exactly
/// when these match.
func namespaceInode(_ path: String) throws -> UInt {
    var info = stat()
    guard stat(path, &info) == 0 else { throw HostOSError(.syscall, "stat \(path)", errno: errno) }
    return UInt(info.st_ino)
}
