import Glibc
import HostOS
import TestSupport
import Testing

/// Scratch directories go away with their test, and never take a mount's
/// contents with them.
@Suite("ScratchDirectory")
struct ScratchDirectoryTests {
    struct Thrown: Error {}

    @Test func theScopedFormRemovesTheDirectoryWhenTheBodyThrows() throws {
        var path = ""
        #expect(throws: Thrown.self) {
            try withScratchDirectory { scratch in
                path = scratch.path
                try scratch.write("a/b/c.txt", "text")
                throw Thrown()
            }
        }
        #expect(path.hasPrefix("/tmp/berth-test-"))
        #expect(access(path, F_OK) != 0, "\(path) is still there")
    }

    @Test func writesMakeTheirDirectoriesAndTakeTheModeAsked() throws {
        try withScratchDirectory(prefix: "berth-scratch") { scratch in
            let file = try scratch.write("deep/er/run.sh", "#!/bin/sh\n", mode: 0o755)
            #expect(file == scratch.path + "/deep/er/run.sh")
            var info = stat()
            #expect(lstat(file, &info) == 0)
            #expect(info.st_mode & 0o7777 == 0o755)
            #expect(info.st_size == 10)
            #expect(try scratch.makeDirectory("deep/er") == scratch.path + "/deep/er")
        }
    }

    @Test(.requiresRoot("mounts a tmpfs inside the directory"))
    func aMountInsideIsNeitherEnteredNorRemoved() throws {
        let scratch = try ScratchDirectory(prefix: "berth-scratch")
        let point = try scratch.makeDirectory("mounted")
        try Mounts.mount("tmpfs", on: point, type: "tmpfs")
        defer {
            try? Mounts.unmount(point, detach: true)
            try? scratch.remove()
        }
        try scratch.write("mounted/kept.txt", "kept")
        try scratch.write("plain.txt", "gone")

        let error = #expect(throws: TestFailure.self) { try scratch.remove() }
        #expect(error?.description.contains("mount \(point)") == true)
        #expect(access(point + "/kept.txt", F_OK) == 0, "removal went into the mount")
        #expect(access(scratch.path + "/plain.txt", F_OK) != 0)

        try Mounts.unmount(point)
        try scratch.remove()
        #expect(access(scratch.path, F_OK) != 0)
    }
}
