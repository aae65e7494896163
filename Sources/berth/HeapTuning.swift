#if canImport(Glibc)
import Glibc
#endif

/// glibc's `mallopt`, which Glibc's module map does not export (it is in
/// <malloc.h>). Declared rather than looked up with `dlsym`, which finds
/// nothing in the static build that ships (`make dist`).
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// Asks for the heap in huge pages, for a command that builds large trees
/// and exits (`berth config`).
///
/// A thousand-service project makes about 5 MB of small objects: in 4 KiB
/// pages, 1,400 page faults, a sixth of the run (the kernel zeroes and maps
/// each page at first touch). With the heap grown in one 32 MiB step and
/// marked MADV_HUGEPAGE, the kernel maps it 2 MiB at a time where it can
/// (transparent huge pages in `madvise` mode, as Debian sets them); where it
/// cannot, nothing changes. Untouched memory costs nothing, and a process
/// that exits soon loses nothing by never giving the heap back (no trimming).
/// Measured on a thousand services: 2,026 -> ~850 page faults, 30.4 -> 28.4 ms;
/// with the whole heap after the pad in huge pages (the static build),
/// ~720 -> 245 page faults, 22.1 -> 21.4 ms.
/// (With THP `defrag` in `madvise` mode the kernel may compact memory to find
/// a huge page; it falls back to small pages when it cannot.)
enum HeapTuning {
    /// Grows the heap and marks it for huge pages. Returns the block that
    /// grew it, which the caller keeps until the process exits: freed at
    /// once, the optimizer would drop the pair, and the heap's growth with it.
    static func preferHugePages() -> UnsafeMutableRawPointer? {
        #if canImport(Glibc)
        let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3  // <malloc.h>
        _ = mallopt(mmapThreshold, 64 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        _ = mallopt(topPad, 32 << 20)
        guard let before = sbrk(0) else { return nil }
        // An allocation the heap has no room for grows it by the pad. It is
        // kept (never touched, it costs no memory).
        guard let block = malloc(256 << 10) else { return nil }
        guard let after = sbrk(0), after > before else { return block }
        let hugePage = 2 << 20
        let start = (Int(bitPattern: before) + hugePage - 1) & ~(hugePage - 1)
        let end = Int(bitPattern: after)
        guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return block }
        _ = madvise(address, end - start, MADV_HUGEPAGE)
        // The kept block came from the top of the old heap, below `start`:
        // stretched (in place, into the free top) up to `start`, it leaves
        // every later allocation in the huge pages. Otherwise the first
        // megabyte or so (the file's bytes among it) would come in 4 KiB
        // pages, ~240 page faults on a thousand services.
        let reach = start - Int(bitPattern: block)
        if reach > 256 << 10, let stretched = realloc(block, reach) { return stretched }
        return block
        #else
        return nil
        #endif
    }
}
