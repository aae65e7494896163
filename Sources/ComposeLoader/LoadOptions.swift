import BerthModel

/// What the command line and the environment say about which project to load.
public struct LoadOptions: Sendable {
    /// `-f` files in order (`-` is standard input); empty means look for one.
    public var files: [String] = []
    /// Where the search for a compose file starts and relative `-f` paths resolve.
    public var workingDirectory: String
    /// `--project-directory`.
    public var projectDirectory: String?
    /// `-p`.
    public var projectName: String?
    /// `--env-file`, replacing the project directory's `.env`.
    public var envFiles: [String] = []
    /// `--profile`.
    public var profiles: [String] = []
    /// Services named on the command line: their profiles become active.
    public var services: [String] = []
    /// `--no-interpolate`.
    public var interpolate = true
    /// The shell environment (wins over `.env`).
    public var environment: [String: String]
    /// Standard input, for `-f -`.
    public var standardInput: @Sendable () throws(BerthError) -> [UInt8]
    /// Takes each file's parsed tree before it is canonicalized, for a command
    /// that exits right after the load (`berth config`): kept there, the tree
    /// is never freed node by node (a thousand services' trees took about a
    /// millisecond to free). Nil, the default, frees each service's parsed
    /// part as soon as its canonical form is made.
    public var keepParsedTree: (@Sendable (Node) -> Void)?

    /// Options for the current directory and process environment.
    public init(
        workingDirectory: String? = nil, environment: [String: String]? = nil,
        standardInput: @escaping @Sendable () throws(BerthError) -> [UInt8] = LoadOptions.readStandardInput
    ) {
        self.workingDirectory = workingDirectory ?? FileSystem.currentDirectory()
        self.environment = environment ?? FileSystem.environment()
        self.standardInput = standardInput
    }
}

extension LoadOptions {
    /// Reads all of standard input (`-f -`).
    public static func readStandardInput() throws(BerthError) -> [UInt8] {
        try FileSystem.readAll(0, name: "standard input")
    }
}
