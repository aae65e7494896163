import BerthModel
import Glibc
import HostOS
import Testing

@testable import RuntimeLinux

/// A store in a fresh state root, removed afterwards even when the test
/// throws; `tracked` for the root-only suite's leftover check.
func withVolumeStore(tracked: Bool = false, _ body: (VolumeStore, String) async throws -> Void) async throws {
    try await Scope.with { scope in
        let root = try makeStateRoot(scope, tracked: tracked)
        try await body(try VolumeStore(root: root), root)
    }
}

/// Mode and owner of a path, without following a final symlink.
func attributes(_ path: String) -> (mode: mode_t, uid: uid_t, gid: gid_t)? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return (info.st_mode & 0o7777, info.st_uid, info.st_gid)
}

/// Writes `text` to a new file at `path`.
func write(_ text: String, to path: String) throws {
    try AtomicFile.write(Array(text.utf8), to: path)
}

/// Volumes, names and bind sources that need no root.
@Suite struct VolumeStoreTests {
    func name(_ text: String) throws -> VolumeName { try VolumeName(parsing: text) }

    @Test func namesFollowDockersGrammar() throws {
        for valid in ["db", "shop_db-data.1", "0"] { #expect(VolumeName(valid) != nil) }
        for invalid in [
            "a/b", "..", ".", "", ".hidden", "-rf", "_x", " a", "a b", "a\u{0}b", String(repeating: "v", count: 256),
        ] {
            #expect(VolumeName(invalid) == nil, "\(invalid) accepted")
        }
        let error = try #require(throws: BerthError.self) { try VolumeName(parsing: "a/b") }
        #expect(error.code == .invalidName)
        #expect(
            error.description
                == "invalid volume name \"a/b\": use letters, digits, '_', '.' or '-', starting with a letter or digit")
        #expect(throws: BerthError.self) { try VolumeName(parsing: "..") }
    }

    @Test func createMakesTheLayoutOnceAndKeepsItsLabels() async throws {
        try await withVolumeStore { store, root in
            let volume = try store.create(try name("shop_db"), labels: ["com.docker.compose.project": "shop"])
            #expect(volume.mountpoint == "\(root)/volumes/shop_db/_data")
            #expect(volume.driver == "local")
            #expect(attributes(root + "/volumes")?.mode == 0o700)
            #expect(attributes(volume.mountpoint)?.mode == 0o755)
            #expect(volume.createdAt.hasSuffix("Z") && volume.createdAt.count == 20)

            // Created on first use: the second call finds the first volume.
            let again = try store.create(try name("shop_db"), labels: ["other": "labels"])
            #expect(again == volume)
            #expect(try store.inspect(try name("shop_db")) == volume)
            try store.create(try name("shop_cache"))
            #expect(try store.list().map(\.name.rawValue) == ["shop_cache", "shop_db"])

            let missing = try #require(throws: BerthError.self) { try store.inspect(try name("nope")) }
            #expect(missing.description == "volume \"nope\" not found")
        }
    }

    @Test func removeIsRefusedWhileAContainerUsesTheVolume() async throws {
        try await withVolumeStore { store, root in
            let volume = try store.create(try name("shop_db"))
            try write("keep", to: volume.mountpoint + "/file")
            let error = try await #require(throws: BerthError.self) {
                try await store.remove(try name("shop_db")) { $0.rawValue == "shop_db" ? "shop-db-1" : nil }
            }
            #expect(error.code == .inUse)
            #expect(error.description == "volume \"shop_db\" is in use by container \"shop-db-1\"")
            #expect(try AtomicFile.read(volume.mountpoint + "/file") == Array("keep".utf8))

            try await store.remove(try name("shop_db")) { _ in nil }
            #expect(try store.list().isEmpty)
            #expect(try HostPath.list(root + "/volumes").isEmpty)
            let gone = try await #require(throws: BerthError.self) {
                try await store.remove(try name("shop_db")) { _ in nil }
            }
            #expect(gone.code == .notFound)
        }
    }

    @Test func nothingIsSeededWithNocopyIntoAFullVolumeOrFromNothing() async throws {
        try await withVolumeStore { store, root in
            let rootfs = root + "/rootfs"
            try Files.makeDirectories(rootfs + "/data")
            try write("from the image", to: rootfs + "/data/seed")
            let volume = try store.create(try name("v"))
            #expect(try await !store.seedIfEmpty(try name("v"), rootfs: rootfs, path: "/data", nocopy: true))
            #expect(try await !store.seedIfEmpty(try name("v"), rootfs: rootfs, path: "/absent"))
            #expect(try HostPath.isEmptyDirectory(volume.mountpoint))

            try write("mine", to: volume.mountpoint + "/own")
            #expect(try await !store.seedIfEmpty(try name("v"), rootfs: rootfs, path: "/data"))
            #expect(try HostPath.list(volume.mountpoint) == ["own"])
        }
    }

    @Test func imagePathsResolveInsideTheRootfs() async throws {
        try await withVolumeStore { _, root in
            let rootfs = root + "/rootfs"
            try Files.makeDirectories(rootfs + "/etc")
            try Files.makeDirectories(rootfs + "/srv/app")
            // An image's symlinks: absolute, relative, climbing, looping.
            symlink("/etc", rootfs + "/data")
            symlink("../../../../srv/app", rootfs + "/etc/app")
            symlink("/loop", rootfs + "/loop")
            #expect(try HostPath.resolve("/data", in: rootfs) == rootfs + "/etc")
            #expect(try HostPath.resolve("/data/app/", in: rootfs) == rootfs + "/srv/app")
            #expect(try HostPath.resolve("/../../srv/./app", in: rootfs) == rootfs + "/srv/app")
            #expect(try HostPath.resolve("/", in: rootfs) == rootfs)
            #expect(try HostPath.resolve("/data/missing", in: rootfs) == nil)
            let loop = try #require(throws: BerthError.self) { try HostPath.resolve("/loop/x", in: rootfs) }
            #expect(loop.description == "too many symbolic links resolving /loop/x in \(rootfs)")
        }
    }

    @Test func bindSourcesAreAbsoluteAndMadeUnlessForbidden() async throws {
        try await withVolumeStore { _, root in
            let relative = try #require(throws: BerthError.self) { try BindSource.prepare("./data") }
            #expect(relative.description == "bind source \"./data\" is not an absolute path")

            let forbidden = try #require(throws: BerthError.self) {
                try BindSource.prepare(root + "/missing", createHostPath: false)
            }
            #expect(forbidden.code == .notFound)
            #expect(
                forbidden.description
                    == "bind source path \"\(root)/missing\" does not exist and create_host_path is false")
            #expect(Files.kind(root + "/missing") == .missing)

            #expect(try BindSource.prepare(root + "/made/deep") == root + "/made/deep")
            #expect(Files.kind(root + "/made/deep") == .directory)
            try write("x", to: root + "/file")
            #expect(try BindSource.prepare(root + "/file", createHostPath: false) == root + "/file")
        }
    }
}

extension HostResourceTests {
    /// Seeding a volume from an image's directory keeps what only root can
    /// set: owners, and `trusted.*` xattrs.
    @Suite struct VolumeSeedTests {
        /// The value of xattr `name` on `path`, without following symlinks.
        func xattr(_ path: String, _ name: String) -> String? {
            typealias Get =
                @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
            guard let get = libc("lgetxattr", as: Get.self) else { return nil }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = buffer.withUnsafeMutableBytes { get(path, name, $0.baseAddress, $0.count) }
            return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
        }

        /// Sets xattr `name` on `path`; true when it worked.
        func setXattr(_ path: String, _ name: String, _ value: String) -> Bool {
            typealias Set =
                @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
            guard let set = libc("lsetxattr", as: Set.self) else { return false }
            let bytes = Array(value.utf8)
            return bytes.withUnsafeBytes { set(path, name, $0.baseAddress, $0.count, 0) } == 0
        }

        /// Glibc's module map leaves out <sys/xattr.h>; the functions are in
        /// libc all the same.
        func libc<F>(_ symbol: String, as type: F.Type) -> F? {
            guard let handle = dlopen(nil, RTLD_LAZY) else { return nil }
            defer { dlclose(handle) }
            return dlsym(handle, symbol).map { unsafeBitCast($0, to: type) }
        }

        @Test func seedingKeepsOwnersModesXattrsAndSymlinks() async throws {
            try await withVolumeStore(tracked: true) { store, root in
                // The image's content at the mount point /var/lib/app, reached
                // through a symlink as images often do (/var/lib/app -> /srv/app).
                let rootfs = root + "/rootfs"
                let image = rootfs + "/srv/app"
                try Files.makeDirectories(image + "/nested")
                try Files.makeDirectories(rootfs + "/var/lib")
                symlink("/srv/app", rootfs + "/var/lib/app")
                try write("settings", to: image + "/config")
                symlink("config", image + "/link")
                #expect(chown(image, 1234, 5678) == 0 && chmod(image, 0o750) == 0)
                #expect(chown(image + "/config", 42, 43) == 0 && chmod(image + "/config", 0o640) == 0)
                #expect(chown(image + "/nested", 7, 8) == 0 && chmod(image + "/nested", 0o1777) == 0)
                #expect(setXattr(image + "/config", "user.berth", "one"))
                #expect(setXattr(image + "/config", "trusted.berth", "two"))

                let name = try VolumeName(parsing: "shop_data")
                let volume = try store.create(name)
                #expect(try await store.seedIfEmpty(name, rootfs: rootfs, path: "/var/lib/app"))

                let data = volume.mountpoint
                #expect(attributes(data)?.mode == 0o750)
                #expect(attributes(data)?.uid == 1234 && attributes(data)?.gid == 5678)
                #expect(attributes(data + "/config")?.mode == 0o640)
                #expect(attributes(data + "/config")?.uid == 42 && attributes(data + "/config")?.gid == 43)
                #expect(attributes(data + "/nested")?.mode == 0o1777)
                #expect(attributes(data + "/nested")?.uid == 7)
                #expect(xattr(data + "/config", "user.berth") == "one")
                #expect(xattr(data + "/config", "trusted.berth") == "two")
                #expect(Files.kind(data + "/link") == .symlink)
                #expect(try AtomicFile.read(data + "/config") == Array("settings".utf8))

                // Seeded once: the next container's start copies nothing.
                try write("changed", to: data + "/config")
                #expect(try await !store.seedIfEmpty(name, rootfs: rootfs, path: "/var/lib/app"))
                #expect(try AtomicFile.read(data + "/config") == Array("changed".utf8))
                try await store.remove(name) { _ in nil }
            }
        }
    }
}
