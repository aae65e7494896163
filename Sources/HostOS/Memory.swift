import CLinux

/// The process's memory allocator.
public enum Memory {
    /// Caps glibc's malloc arenas at `arenas` (glibc gives each busy thread
    /// one, up to 8 per core). Returns false when glibc refused.
    @discardableResult
    public static func limitMallocArenas(_ arenas: Int32) -> Bool {
        berth_limit_malloc_arenas(arenas) == 1
    }
}
