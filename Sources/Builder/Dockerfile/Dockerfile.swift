import BerthModel

/// A parsed Dockerfile: its directives, the `ARG`s before the first `FROM`,
/// and its stages, each with its instructions as written.
///
/// Parsing checks the syntax of every instruction and its flags but expands
/// nothing: what a word means depends on the ARGs given to the build and the
/// base image's environment, so expansion happens when the build is planned
/// (`BuildGraph`, `StagePlanner`). Words keep their quotes and escapes here.
public struct Dockerfile: Hashable, Sendable {
    /// The file's name as errors print it: `Dockerfile`, `Dockerfile.dev`,
    /// or `Dockerfile (inline)` for compose's `dockerfile_inline`.
    public var name: String
    /// The escape character: `\`, or `` ` `` with `# escape=``.
    public var escape: Unicode.Scalar
    /// The `# syntax=` directive, if any. Berth always uses its own frontend;
    /// the value is kept for a note and for whoever asks.
    public var syntax: String?
    /// What Berth noticed and ignored or tolerated (the `check` directive,
    /// empty continuation lines, `MAINTAINER`), for the build's output.
    public var notes: [DockerfileNote]
    /// The `ARG` instructions before the first `FROM` (the global scope).
    public var globalArgs: [Instruction]
    /// The stages, in order.
    public var stages: [Stage]

    /// Parses `text`; `name` is the file name errors and notes begin with.
    public static func parse(_ text: String, name: String = "Dockerfile") throws(BerthError) -> Dockerfile {
        try DockerfileParser(name: name).parse(text)
    }

    /// The stage called `name` (stage names are case-insensitive), or the
    /// stage at that index when `name` is a number.
    public func stage(named name: String) -> Stage? {
        if let index = Int(name) { return stages.indices.contains(index) ? stages[index] : nil }
        let lowered = name.lowercased()
        return stages.first { $0.name == lowered }
    }
}

/// One build stage: a `FROM` and the instructions up to the next.
public struct Stage: Hashable, Sendable {
    /// The stage's position in the Dockerfile, from 0 (what `--from=0` names).
    public var index: Int
    /// The `AS` name, lowercased; nil when the stage has none.
    public var name: String?
    /// The base as written: an image reference, `scratch`, or an earlier
    /// stage's name, possibly with `$ARG`s of the global scope.
    public var base: String
    /// `--platform` as written, possibly with `$ARG`s.
    public var platform: String?
    /// Where the `FROM` is and its text.
    public var location: DockerfileLocation
    /// The `FROM` line as written (continuations joined).
    public var text: String
    /// The instructions after the `FROM`, in order.
    public var instructions: [Instruction]

    /// `name`, or `stage-N` as BuildKit calls an unnamed stage in progress output.
    public var displayName: String { name ?? "stage-\(index)" }
}

/// Where an instruction is: the file and its first and last line (they
/// differ for continuations and heredocs).
public struct DockerfileLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var endLine: Int

    public init(file: String, line: Int, endLine: Int? = nil) {
        self.file = file
        self.line = line
        self.endLine = endLine ?? line
    }

    /// `Dockerfile:7`, the prefix of every message about the instruction.
    public var description: String { "\(file):\(line)" }
}

/// Something the parser or the planner tolerated and the user may want to
/// know, printed as `Dockerfile:3: message`.
public struct DockerfileNote: Hashable, Sendable, CustomStringConvertible {
    public var location: DockerfileLocation
    public var message: String

    public init(_ location: DockerfileLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    /// `Dockerfile:3: message`, or `Dockerfile: message` for a note about the whole build.
    public var description: String {
        location.line > 0 ? "\(location): \(message)" : "\(location.file): \(message)"
    }
}

extension BerthError {
    /// An error about the instruction at `location`:
    /// `Dockerfile:7: COPY: what went wrong`.
    static func dockerfile(
        _ location: DockerfileLocation, _ instruction: String, _ what: String, code: Code = .invalidDockerfile
    ) -> BerthError {
        BerthError(code, "\(location): \(instruction.uppercased()): \(what)")
    }
}
