import ArgumentParser
import BerthModel

#if canImport(Glibc)
import Glibc
#endif

/// `berth`: docker compose's commands, run by Berth.
@main
struct Berth {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        // `Daemon.hostOverride` reads it from the command line itself.
        _ = GlobalArguments.takeHost(&arguments)
        arguments = GlobalArguments.splitJoinedValues(GlobalArguments.reorder(arguments))
        do {
            if let request = ConfigRequest.quick(arguments) { try request.run() }
            // `exec` runs in loops (scripts, checks from outside): parsed on
            // its own, it skips the walk ArgumentParser makes, by reflection,
            // over every command's options for the root, a quarter of the
            // CLI's start. What it does not take (help, a usage error) goes
            // the whole way, for the usual message.
            if arguments.first == "exec", let exec = try? ExecCommand.parse(Array(arguments.dropFirst())) {
                try await exec.run()
                return
            }
            var command = try BerthCommand.parseAsRoot(arguments)
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as BerthError {
            FileHandleOutput.standardError(error.description + "\n")
            exit(1)
        } catch {
            // A usage error exits 1, as docker compose's do (ArgumentParser's
            // own code is 64); help, versions and exit codes are kept.
            if BerthCommand.exitCode(for: error) == .validationFailure {
                FileHandleOutput.standardError(BerthCommand.fullMessage(for: error) + "\n")
                exit(1)
            }
            BerthCommand.exit(withError: error)
        }
    }
}

// Every command, nested ones too, names itself: without a `commandName`
// ArgumentParser derives one with `String(describing:)`, whose failed
// conformance lookups scan all ~7,500 conformance records of the static
// binary. The seven unnamed commands cost 8.9M instructions (a quarter of
// start-up) on every run, `berth config` included.
struct BerthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Run Compose projects without Docker.",
        subcommands: [
            UpCommand.self, DownCommand.self, PsCommand.self, LogsCommand.self, ExecCommand.self, RunCommand.self,
            AttachCommand.self,
            StartCommand.self,
            StopCommand.self, RestartCommand.self, KillCommand.self, RmCommand.self, TopCommand.self, PortCommand.self,
            ImagesCommand.self, LsCommand.self, EventsCommand.self, WaitCommand.self, ConfigCommand.self,
            ImageCommand.self, VolumeCommand.self, NetworkCommand.self, VersionCommand.self, BuildCommand.self,
            PullCommand.self, PushCommand.self, LoginCommand.self, LogoutCommand.self,
            CreateCommand.self, ScaleCommand.self, KubeCommand.self, PauseCommand.self, UnpauseCommand.self,
            StatsCommand.self, CopyCommand.self, SystemCommand.self, BuilderCommand.self,
        ]
    )
}

/// Writes to the standard streams without Foundation.
enum FileHandleOutput {
    static func standardOutput(_ text: String) {
        write(1, text)
    }

    static func standardError(_ text: String) {
        write(2, text)
    }

    /// Bytes as they are.
    static func standardOutput(_ bytes: UnsafeBufferPointer<UInt8>) {
        write(1, bytes)
    }

    static func standardError(_ bytes: UnsafeBufferPointer<UInt8>) {
        write(2, bytes)
    }

    private static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { write(fd, $0) }
    }

    private static func write(_ fd: Int32, _ buffer: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let n = Glibc.write(fd, base + offset, buffer.count - offset)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}

/// Writes a whole file (`config -o`).
enum OutputFile {
    static func write(_ text: String, to path: String) throws(BerthError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BerthError(.unwritableFile, "\(path): cannot write: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var text = text
        let ok = text.withUTF8 { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return true }
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        if !ok { throw BerthError(.unwritableFile, "\(path): cannot write: \(String(cString: strerror(errno)))") }
    }
}
