import ComposeLoader

extension ConfigRequest {
    /// `berth config` arguments (after `GlobalArguments.reorder`) read
    /// without ArgumentParser, for the common forms only: `config` followed
    /// by `-f`/`--file`, `-p`/`--project-name`, `--project-directory`,
    /// `--env-file`, `--profile`, `--format yaml|json`, `--no-interpolate`,
    /// `-q`/`--quiet`, each option with its value as the next argument.
    /// Anything else (help, `--opt=value`, a value starting with `-`, a
    /// single-valued option or a flag given twice, the listing flags, service
    /// names, an error) gives nil, and ArgumentParser reads the arguments as
    /// it always does.
    ///
    /// Why: ArgumentParser reflects over every option of the command at each
    /// start, and in this statically linked binary each generic type it meets
    /// costs a scan of ~7,500 protocol conformance records: 15M instructions,
    /// about 2 ms, before any file is read (a third of `berth config` on a
    /// small project).
    static func quick(_ arguments: [String]) -> ConfigRequest? {
        guard arguments.first == "config" else { return nil }
        var files: [String] = [], envFiles: [String] = [], profiles: [String] = []
        var projectName: String?, projectDirectory: String?
        var format: ConfigCommand.OutputFormat?
        var noInterpolate = false, quiet = false
        var i = 1
        while i < arguments.count {
            let argument = arguments[i]
            switch argument {
            case "--no-interpolate":
                guard !noInterpolate else { return nil }
                noInterpolate = true
                i += 1
                continue
            case "-q", "--quiet":
                guard !quiet else { return nil }
                quiet = true
                i += 1
                continue
            default:
                break
            }
            // The rest take a value: the next argument, which must not look like an option.
            guard i + 1 < arguments.count else { return nil }
            let value = arguments[i + 1]
            guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
            switch argument {
            case "-f", "--file": files.append(value)
            case "--env-file": envFiles.append(value)
            case "--profile": profiles.append(value)
            case "-p", "--project-name":
                guard projectName == nil else { return nil }
                projectName = value
            case "--project-directory":
                guard projectDirectory == nil else { return nil }
                projectDirectory = value
            case "--format":
                guard format == nil, let given = ConfigCommand.OutputFormat(rawValue: value) else { return nil }
                format = given
            default:
                return nil
            }
            i += 2
        }
        let options = ProjectOptions.loadOptions(
            files: files, projectName: projectName, projectDirectory: projectDirectory, envFiles: envFiles,
            profiles: profiles, services: [], interpolate: !noInterpolate)
        return ConfigRequest(loadOptions: options, format: format ?? .yaml, noInterpolate: noInterpolate, quiet: quiet)
    }
}
