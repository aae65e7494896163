/// A position in a loaded file: an index into `SourceFiles`, line and column (1-based).
///
/// Kept to twelve bytes because every node of a thousand-service file has one.
public struct Mark: Hashable, Sendable {
    public var file: UInt32
    public var line: UInt32
    public var column: UInt32

    public init(file: UInt32, line: UInt32, column: UInt32) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A mark for values Berth made itself (defaults, normalized forms).
    public static let synthetic = Mark(file: UInt32.max, line: 0, column: 0)
}
