import BerthModel

/// The files a load has read, so a `Mark` can name its file.
public final class SourceFiles: @unchecked Sendable {
    private var paths: [String] = []
    private var index: [String: UInt32] = [:]

    public init() {}

    /// The id of `path`, registering it on first use.
    public func id(for path: String) -> UInt32 {
        if let id = index[path] { return id }
        let id = UInt32(paths.count)
        paths.append(path)
        index[path] = id
        return id
    }

    /// The path registered under `id`.
    public func path(_ id: UInt32) -> String? {
        Int(id) < paths.count ? paths[Int(id)] : nil
    }

    /// The location a mark stands for, or nil for a synthetic mark.
    public func location(_ mark: Mark) -> SourceLocation? {
        guard let path = path(mark.file) else { return nil }
        return SourceLocation(file: path, line: Int(mark.line), column: Int(mark.column))
    }
}
