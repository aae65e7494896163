import ArgumentParser
import BerthModel
import ComposeLoader

/// The options every project command takes, as docker compose has them.
struct ProjectOptions: ParsableArguments {
    @Option(name: [.short, .customLong("file")], help: "Compose file (repeatable; - for standard input).")
    var files: [String] = []

    @Option(name: [.short, .customLong("project-name")], help: "Project name.")
    var projectName: String?

    @Option(name: .customLong("project-directory"), help: "Directory that relative paths resolve from.")
    var projectDirectory: String?

    @Option(name: .customLong("env-file"), help: "Environment file instead of the project's .env (repeatable).")
    var envFiles: [String] = []

    @Option(name: .customLong("profile"), help: "Profile to enable (repeatable).")
    var profiles: [String] = []

    /// Loader options from the flags, the process environment and the current directory.
    func loadOptions(services: [String] = [], interpolate: Bool = true) -> LoadOptions {
        Self.loadOptions(
            files: files, projectName: projectName, projectDirectory: projectDirectory, envFiles: envFiles,
            profiles: profiles, services: services, interpolate: interpolate)
    }

    /// Loader options from these flags' values, however they were read (by
    /// ArgumentParser, or by `ConfigRequest.quick`).
    static func loadOptions(
        files: [String], projectName: String?, projectDirectory: String?, envFiles: [String], profiles: [String],
        services: [String], interpolate: Bool
    ) -> LoadOptions {
        var options = LoadOptions()
        options.files = files
        options.projectName = projectName
        options.projectDirectory = projectDirectory
        options.envFiles = envFiles
        options.profiles = profiles
        options.services = services
        options.interpolate = interpolate
        return options
    }
}

/// The project options every spelling shares: directory, env files, profiles.
struct ProjectSharedOptions: ParsableArguments {
    @Option(name: .customLong("project-directory"), help: "Directory that relative paths resolve from.")
    var projectDirectory: String?

    @Option(name: .customLong("env-file"), help: "Environment file instead of the project's .env (repeatable).")
    var envFiles: [String] = []

    @Option(name: .customLong("profile"), help: "Profile to enable (repeatable).")
    var profiles: [String] = []

    /// A `ProjectOptions` with these and the given files and name.
    func options(files: [String], projectName: String?) -> ProjectOptions {
        var options = ProjectOptions()
        options.files = files
        options.projectName = projectName
        options.projectDirectory = projectDirectory
        options.envFiles = envFiles
        options.profiles = profiles
        return options
    }
}

/// ProjectOptions for a command whose `-f` means something else (`logs -f`
/// follows): the file is `--file` there, or `-f` before the command.
struct ProjectOptionsLongFile: ParsableArguments {
    @Option(name: .customLong("file"), help: "Compose file (repeatable; - for standard input).")
    var files: [String] = []

    @Option(name: [.short, .customLong("project-name")], help: "Project name.")
    var projectName: String?

    @OptionGroup var shared: ProjectSharedOptions

    /// The same options as a `ProjectOptions`.
    var options: ProjectOptions { shared.options(files: files, projectName: projectName) }
}

/// ProjectOptions for `run`, whose `-p` publishes a port: the project's
/// name is `--project-name` there, or `-p` before the command.
struct ProjectOptionsLongName: ParsableArguments {
    @Option(name: [.short, .customLong("file")], help: "Compose file (repeatable; - for standard input).")
    var files: [String] = []

    @Option(name: .customLong("project-name"), help: "Project name.")
    var projectName: String?

    @OptionGroup var shared: ProjectSharedOptions

    /// The same options as a `ProjectOptions`.
    var options: ProjectOptions { shared.options(files: files, projectName: projectName) }
}

/// Flags docker compose takes before the subcommand (`berth -f x.yaml config`).
/// ArgumentParser only reads a command's own options after its name, so the
/// arguments are reordered before parsing: each global flag that comes before
/// the subcommand is moved to just after it.
enum GlobalArguments {
    static let withValue: Set<String> = [
        "-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile",
    ]

    /// Removes `--host X` / `-H X` / `--host=X` given before the subcommand and returns X.
    static func takeHost(_ arguments: inout [String]) -> String? {
        var i = 0
        while i < arguments.count, arguments[i].hasPrefix("-") {
            let argument = arguments[i]
            if (argument == "--host" || argument == "-H"), i + 1 < arguments.count {
                let value = arguments[i + 1]
                arguments.removeSubrange(i...(i + 1))
                return value
            }
            if argument.hasPrefix("--host=") {
                arguments.remove(at: i)
                return String(argument.dropFirst("--host=".count))
            }
            i += withValue.contains(argument) ? 2 : 1
        }
        return nil
    }

    /// The first argument from `start` on that is neither a global flag nor its value.
    static func subcommand(_ arguments: [String], from start: Int) -> String? {
        var j = start
        while j < arguments.count {
            let argument = arguments[j]
            if withValue.contains(argument) {
                j += 2
            } else if let eq = argument.firstIndex(of: "="), withValue.contains(String(argument[..<eq])) {
                j += 1
            } else {
                return argument
            }
        }
        return nil
    }

    /// Short options whose value may be joined to them (`stop -t1`,
    /// `logs -n5`), per command, as docker compose's parser takes them;
    /// ArgumentParser would read `-t1` as the flags `-t` and `-1`.
    static let joinable: [String: Set<Character>] = [
        "stop": ["t"], "restart": ["t"], "down": ["t"], "up": ["t"], "logs": ["n"],
    ]

    /// `-t1` as `-t 1` where the command's `-t` takes a number (the
    /// arguments come reordered: the command first).
    static func splitJoinedValues(_ arguments: [String]) -> [String] {
        guard let command = arguments.first, let letters = joinable[command] else { return arguments }
        var result = [command]
        for (offset, argument) in arguments.enumerated().dropFirst() {
            if argument == "--" {
                return result + arguments[offset...]
            }
            let characters = Array(argument)
            if characters.count > 2, characters[0] == "-", letters.contains(characters[1]),
                characters[2...].allSatisfy(\.isNumber)
            {
                result += ["-" + String(characters[1]), String(characters[2...])]
            } else {
                result.append(argument)
            }
        }
        return result
    }

    static func reorder(_ arguments: [String]) -> [String] {
        var globals: [String] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if withValue.contains(argument), i + 1 < arguments.count {
                // `logs -f` follows and `rm -f` forces: there, only --file names
                // a file; `run -p` publishes: there, only --project-name names the project.
                let command = subcommand(arguments, from: i)
                var global = argument
                if argument == "-f" && (command == "logs" || command == "rm") { global = "--file" }
                if argument == "-p" && command == "run" { global = "--project-name" }
                globals += [global, arguments[i + 1]]
                i += 2
            } else if let eq = argument.firstIndex(of: "="), withValue.contains(String(argument[..<eq])) {
                globals.append(argument)
                i += 1
            } else {
                break
            }
        }
        guard !globals.isEmpty, i < arguments.count else { return arguments }
        // `kube generate` takes the project's options, `kube` none: they go after both words.
        if arguments[i] == "kube", i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") {
            return [arguments[i], arguments[i + 1]] + globals + arguments[(i + 2)...]
        }
        return [arguments[i]] + globals + arguments[(i + 1)...]
    }
}
