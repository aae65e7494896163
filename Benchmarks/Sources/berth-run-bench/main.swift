// berth-run-bench: what ContainerDriver adds on top of crun.
//
// Times create + start + exit of `/bin/true` through ContainerDriver (bundle,
// overlay rootfs, berth-shim, crun, exit record) against a bare `crun run` of
// the same config.json on the same rootfs, and prints the median of each and
// their ratio (target <= 1.3), then berth-shim's resident memory (VmRSS)
// after it has logged a few thousand lines (target <= 2 MiB). Both are
// measured in this run, on this machine; removal is timed but not in the ratio,
// since `crun run` cleans up after itself inside its own time.
import BenchSupport
import Foundation
@_spi(Components) import RuntimeLinux

#if canImport(Glibc)
import Glibc
#endif

/// Fails the bench with a message on stderr.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("berth-run-bench: \(message)\n".utf8))
    exit(1)
}

let usage = """
    usage: berth-run-bench [RUNS] [--shim PATH]
      RUNS          containers of each kind (1-10000, default 50), after three warm-up rounds
      --shim PATH   the berth-shim to use (default: the one next to this binary)
    Needs root. scripts/bench/crun-true.sh builds and runs it.
    """

/// The median of some durations, in milliseconds.
func median(_ samples: [Duration]) -> Double { median(samples.map(milliseconds)) }

/// Runs a program to its end, its output discarded; its exit status.
func run(_ argv: [String]) -> Int32 {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    guard posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// A busybox layer with `true`, `sh` and `sleep`.
func makeLayer(_ dir: String) throws {
    let fm = FileManager.default
    for sub in ["bin", "etc", "tmp", "proc", "sys", "dev"] {
        try fm.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
    }
    try fm.copyItem(atPath: "/bin/busybox", toPath: dir + "/bin/busybox")
    for applet in ["true", "sh", "sleep", "echo"] {
        try fm.createSymbolicLink(atPath: dir + "/bin/" + applet, withDestinationPath: "busybox")
    }
    try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: dir + "/etc/passwd", atomically: true, encoding: .utf8)
}

/// Resident memory of a process, in KiB.
func residentKiB(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return nil }
    return Int(line.split(separator: " ").dropFirst().first ?? "")
}

let arguments: BenchArguments
let runs: Int
do {
    arguments = try BenchArguments(usage: usage, options: ["--shim"])
    guard arguments.positional.count <= 1, let count = Int(arguments.positional.first ?? "50"),
        (1...10000).contains(count)
    else { throw BenchError("RUNS wants one number, 1-10000\n\(usage)") }
    runs = count
} catch {
    fail("\(error)")
}
requireRoot("berth-run-bench", "crun, overlay mounts, cgroups")
let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
let shim = arguments.text("--shim") ?? binDir + "/berth-shim"
guard FileManager.default.isExecutableFile(atPath: shim) else { fail("no berth-shim at \(shim)") }

let root: String
do { root = try makeScratchRoot("berth-run-bench") } catch { fail("\(error)") }
let crunRoot = root + "/crun"
let prefix = "berth-b" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
func id(_ name: String) -> ContainerID {
    guard let id = ContainerID(prefix + "-" + name) else { fail("bad id \(name)") }
    return id
}

/// A container `name` on `layer` that runs `command`.
func containerSpec(_ name: String, _ command: [String], layer: String) -> LinuxContainerSpec {
    var spec = LinuxContainerSpec(id: id(name), image: .init(env: [BundleBuilder.defaultPath]), layers: [layer])
    spec.command = command
    return spec
}

/// The measurements, on a driver over `root`; prints as it goes.
func benchmark(_ driver: ContainerDriver, layer: String) async throws {
    func spec(_ name: String, _ command: [String]) -> LinuxContainerSpec { containerSpec(name, command, layer: layer) }
    let clock = ContinuousClock()

    // The reference bundle: the config.json the driver writes, run by crun
    // directly on the same (mounted) rootfs.
    let reference = spec("reference", ["/bin/true"])
    _ = try await driver.create(reference)
    let bundle = root + "/raw"
    try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: driver.paths(reference.id).config, toPath: bundle + "/config.json")

    var raw: [Duration] = []
    var fused: [Duration] = []
    var split: [Duration] = []
    var removal: [Duration] = []
    for i in -3..<runs {  // three warm-up rounds
        let n = i + 3
        // Each kind goes first, second and third in turn: whatever one
        // leaves the kernel to clean up (a netns, a cgroup) falls on all.
        for kind in (0..<3).map({ ($0 + n) % 3 }) {
            switch kind {
            case 0:
                let t0 = clock.now
                let status = run(["/usr/bin/crun", "--root", crunRoot, "run", "--bundle", bundle, prefix + "-raw\(n)"])
                if status != 0 {
                    fail("crun run of the reference bundle exited with status \(status)")
                }
                if i >= 0 { raw.append(t0.duration(to: clock.now)) }
            case 1:
                let one = spec("run\(n)", ["/bin/true"])
                let t0 = clock.now
                _ = try await driver.create(one, start: true)
                _ = try await driver.wait(one.id, timeout: .seconds(10))
                let t1 = clock.now
                try await driver.remove(one.id)
                if i >= 0 {
                    fused.append(t0.duration(to: t1))
                    removal.append(t1.duration(to: clock.now))
                }
            default:
                let two = spec("split\(n)", ["/bin/true"])
                let t0 = clock.now
                _ = try await driver.create(two)
                try await driver.start(two.id)
                _ = try await driver.wait(two.id, timeout: .seconds(10))
                if i >= 0 { split.append(t0.duration(to: clock.now)) }
                try await driver.remove(two.id)
            }
        }
    }
    let r = median(raw), f = median(fused), s = median(split)
    print("runs: \(runs) each, medians")
    print(String(format: "crun run (reference)                       %7.2f ms", r))
    print(String(format: "driver create(start: true) + wait          %7.2f ms   ratio %.2f (target <= 1.3)", f, f / r))
    print(String(format: "driver create + start + wait (crun create) %7.2f ms   ratio %.2f", s, s / r))
    print(String(format: "driver remove (not in the ratio)           %7.2f ms", median(removal)))
    try await shimMemory(driver, layer: layer)
}

/// The shim's memory once it has logged a few thousand lines.
func shimMemory(_ driver: ContainerDriver, layer: String) async throws {
    let clock = ContinuousClock()
    let chatty = containerSpec(
        "rss", ["sh", "-c", "i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; echo done; sleep 1000"],
        layer: layer)
    _ = try await driver.create(chatty, start: true)
    let logged = clock.now.advanced(by: .seconds(10))
    while try driver.logText(chatty.id, JSONFileLog.Query(tail: 1)) != "done\n" && clock.now < logged {
        try await Task.sleep(for: .milliseconds(50))
    }
    if let pid = try await driver.inspect(chatty.id).shimPID, let kib = residentKiB(pid) {
        print(
            String(
                format: "berth-shim VmRSS                           %7d KiB (%.2f MiB, target <= 2 MiB)", kib,
                Double(kib) / 1024))
    } else {
        print("berth-shim VmRSS: shim not found")
    }
}

var failure: Error?
do {
    let layer = root + "/layers/busybox"
    try makeLayer(layer)
    let driver = try ContainerDriver(.init(root: root, shimPath: shim, crunRoot: crunRoot))
    do { try await benchmark(driver, layer: layer) } catch { failure = error }
    // Whatever happened, leave no container, mount or shim behind.
    for container in (try? driver.list()) ?? [] {
        do { try await driver.remove(container, force: true) } catch { failure = failure ?? error }
    }
} catch {
    failure = error
}
try? FileManager.default.removeItem(atPath: root)
if let failure { fail("\(failure)") }
