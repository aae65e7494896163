import BerthModel

/// `RUN`, `CMD`, `ENTRYPOINT`, `SHELL` and `HEALTHCHECK`: the instructions
/// whose argument is a command in the exec or the shell form.
extension InstructionParser {
    /// The exec form when the arguments are a JSON array of strings, else the
    /// shell form (with the heredocs read after the line).
    func commandForm(_ raw: RawInstruction) throws(BerthError) -> CommandForm {
        _ = try flags(raw)
        return try commandOnly(raw)
    }

    private func commandOnly(_ raw: RawInstruction) throws(BerthError) -> CommandForm {
        if !raw.arguments.isEmpty, let strings = try json(raw) { return .exec(strings) }
        return .shell(raw.arguments, heredocs: raw.heredocs)
    }

    func parseRun(_ raw: RawInstruction) throws(BerthError) -> RunInstruction {
        let flags = try flags(raw, ["mount": .strings, "network": .string, "security": .string])
        let networkName = flags.string("network") ?? "default"
        guard let network = RunNetwork(rawValue: networkName) else {
            throw .dockerfile(raw.location, raw.keyword, "--network=\(networkName): expected default, none or host")
        }
        let security = flags.string("security") ?? "sandbox"
        switch security {
        case "sandbox":
            break
        case "insecure":
            throw .dockerfile(
                raw.location, raw.keyword, "--security=insecure is not supported: Berth runs every step sandboxed",
                code: .unsupported)
        default:
            throw .dockerfile(raw.location, raw.keyword, "--security=\(security): expected sandbox or insecure")
        }
        for mount in flags.strings("mount") {
            // `from=` names a stage before anything is expanded; a variable
            // there could not be resolved in time (BuildKit refuses it too).
            if let from = RunMount.field("from", in: mount), let dollar = from.firstIndex(of: "$"),
                from.index(after: dollar) != from.endIndex
            {
                throw .dockerfile(
                    raw.location, raw.keyword,
                    "--mount from=\(from): variables are not expanded in from=; name a stage made with FROM and a global ARG"
                )
            }
        }
        return RunInstruction(
            command: try commandOnly(raw), mounts: flags.strings("mount"), network: network, security: security)
    }

    func parseShell(_ raw: RawInstruction) throws(BerthError) -> [String] {
        _ = try flags(raw)
        guard let strings = try json(raw) else {
            throw .dockerfile(raw.location, raw.keyword, "needs the JSON form: SHELL [\"executable\", \"parameters\"]")
        }
        guard !strings.isEmpty else { throw .dockerfile(raw.location, raw.keyword, "needs at least the executable") }
        return strings
    }

    func parseHealthcheck(_ raw: RawInstruction) throws(BerthError) -> HealthcheckInstruction {
        let scalars = Array(raw.arguments.unicodeScalars)
        var split = 0
        while split < scalars.count, !scalars[split].properties.isWhitespace { split += 1 }
        let kind = String(String.UnicodeScalarView(scalars[..<split])).uppercased()
        var rest = raw
        rest.arguments = String(String.UnicodeScalarView(scalars[split...])).trimmingBlanks
        switch kind {
        case "":
            throw .dockerfile(raw.location, raw.keyword, "needs NONE or CMD and a command")
        case "NONE":
            guard rest.arguments.isEmpty else {
                throw .dockerfile(raw.location, raw.keyword, "NONE takes no arguments")
            }
            return .none
        case "CMD":
            let flags = try flags(
                raw,
                [
                    "interval": .string, "timeout": .string, "start-period": .string, "start-interval": .string,
                    "retries": .string,
                ])
            let command = try commandOnly(rest)
            if case .shell(let text, _) = command, text.isEmpty {
                throw .dockerfile(raw.location, raw.keyword, "CMD needs a command")
            }
            if case .exec(let arguments) = command, arguments.isEmpty {
                throw .dockerfile(raw.location, raw.keyword, "CMD needs a command")
            }
            return .check(command, try healthcheckOptions(flags, raw))
        default:
            throw .dockerfile(raw.location, raw.keyword, "unknown type \(kind): expected CMD or NONE")
        }
    }

    private func healthcheckOptions(_ flags: FlagSet, _ raw: RawInstruction) throws(BerthError) -> HealthcheckOptions {
        func duration(_ name: String) throws(BerthError) -> Duration? {
            guard let text = flags.string(name), !text.isEmpty else { return nil }
            guard let nanoseconds = GoDuration.parse(text) else {
                throw .dockerfile(raw.location, raw.keyword, "--\(name)=\(text) is not a duration (like 30s or 1m30s)")
            }
            if nanoseconds == 0 { return nil }
            guard nanoseconds >= 1_000_000 else {
                throw .dockerfile(raw.location, raw.keyword, "--\(name)=\(text) is shorter than 1ms")
            }
            return .nanoseconds(nanoseconds)
        }
        var options = HealthcheckOptions(
            interval: try duration("interval"), timeout: try duration("timeout"),
            startPeriod: try duration("start-period"), startInterval: try duration("start-interval"))
        if let text = flags.string("retries"), !text.isEmpty {
            guard let retries = Int32(text) else {
                throw .dockerfile(raw.location, raw.keyword, "--retries=\(text) is not a whole number")
            }
            guard retries >= 0 else { throw .dockerfile(raw.location, raw.keyword, "--retries cannot be negative") }
            options.retries = retries == 0 ? nil : Int(retries)
        }
        return options
    }
}
