import BerthModel
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Waits for conditions on container directories (an exit record appearing,
/// a shim going away), any number at once, on one inotify instance and one
/// thread: woken by file events, not by polling with sleeps.
///
/// A waiter gives a directory, a deadline and a check. The check runs once
/// the directory is watched (watch first, then check: no event is missed in
/// between), again after every event in that directory, once a second for
/// conditions no file event announces (a process that died), and at the
/// deadline. The thread runs only while someone waits.
///
/// The inotify instance lives as long as this object: closing one that has
/// had watches waits for an SRCU grace period in the kernel (13–16 ms on
/// this kind of VM, measured), which a close per wait would add to every
/// container's create-to-exit time. Removing a watch costs microseconds.
final class DirectoryWatches: @unchecked Sendable {
    /// One registered wait. `poke` runs the check and resumes the waiting
    /// task when it is done (or expired, or cancelled); it returns whether
    /// the waiter is finished.
    private struct Waiter {
        var directory: String
        var deadline: ContinuousClock.Instant
        var cancelled = false
        var poke: (_ expired: Bool, _ cancelled: Bool) -> Bool
    }

    private let lock = NSLock()
    private var inotify: Int32 = -1
    private var wake: (Int32, Int32) = (-1, -1)
    private var waiters: [UInt64: Waiter] = [:]
    /// Waiters not yet checked since they registered.
    private var unchecked = Set<UInt64>()
    /// Cancelled before they registered.
    private var cancelledEarly = Set<UInt64>()
    private var nextID: UInt64 = 0
    private var watches: [String: (wd: Int32, users: Int)] = [:]
    private var running = false
    private let clock = ContinuousClock()

    deinit {
        for fd in [inotify, wake.0, wake.1] where fd >= 0 { close(fd) }
    }

    /// Runs `check` until it returns a value (returned), throws (thrown), or
    /// `timeout` passes (nil). Task cancellation ends it with `CancellationError`.
    func wait<T: Sendable>(
        directory: String, timeout: Duration, check: @escaping @Sendable () throws -> T?
    ) async throws -> T? {
        let id = lock.withLock { () -> UInt64 in
            nextID += 1
            return nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, Error>) in
                let poke = { (expired: Bool, cancelled: Bool) -> Bool in
                    if cancelled {
                        continuation.resume(throwing: CancellationError())
                        return true
                    }
                    do {
                        if let value = try check() {
                            continuation.resume(returning: value)
                            return true
                        }
                    } catch {
                        continuation.resume(throwing: error)
                        return true
                    }
                    if expired { continuation.resume(returning: nil) }
                    return expired
                }
                do {
                    try register(id, Waiter(directory: directory, deadline: clock.now.advanced(by: timeout), poke: poke))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            lock.withLock {
                if waiters[id] != nil { waiters[id]?.cancelled = true } else { cancelledEarly.insert(id) }
            }
            signalWake()
        }
    }

    private func register(_ id: UInt64, _ waiter: Waiter) throws {
        var waiter = waiter
        try lock.withLock {
            if cancelledEarly.remove(id) != nil { waiter.cancelled = true }
            if inotify < 0 {
                inotify = try checkSyscall("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) }
                wake = try ChildProcess.socketPair()
                _ = fcntl(wake.0, F_SETFL, O_NONBLOCK)
            }
            if let watch = watches[waiter.directory] {
                watches[waiter.directory] = (watch.wd, watch.users + 1)
            } else {
                let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_DELETE_SELF)
                let wd = inotify_add_watch(inotify, waiter.directory, mask)
                guard wd >= 0 else { throw BerthError.system("watching \(waiter.directory)", errno: errno) }
                watches[waiter.directory] = (wd, 1)
            }
            waiters[id] = waiter
            unchecked.insert(id)
            if !running {
                running = true
                Thread { self.loop() }.start()
            }
        }
        // The thread checks each new waiter once before it sleeps.
        signalWake()
    }

    private func signalWake() {
        let fd = lock.withLock { wake.1 }
        guard fd >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }

    /// The watcher thread: sleep until an event, a wake, a deadline or the
    /// one-second recheck; then poke the waiters that may be done.
    private func loop() {
        var lastSweep = clock.now
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let (fds, timeout) = lock.withLock { () -> ((Int32, Int32), Int32) in
                let nearest = waiters.values.map(\.deadline).min() ?? clock.now.advanced(by: .seconds(1))
                let until = min(nearest, lastSweep.advanced(by: .seconds(1)))
                return ((inotify, wake.0), Int32(max(0, clock.now.duration(to: until).milliseconds)))
            }
            var polls = [pollfd(fd: fds.0, events: Int16(POLLIN), revents: 0), pollfd(fd: fds.1, events: Int16(POLLIN), revents: 0)]
            _ = poll(&polls, 2, timeout)
            // Which directories had events.
            var touched = Set<Int32>()
            while true {
                let n = read(fds.0, &buffer, buffer.count)
                if n <= 0 { break }
                var offset = 0
                while offset + 16 <= n {
                    let wd = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }
                    let length = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self) }
                    touched.insert(wd)
                    offset += 16 + Int(length)
                }
            }
            while read(fds.1, &buffer, buffer.count) > 0 {}

            let now = clock.now
            let sweep = now >= lastSweep.advanced(by: .seconds(1))
            if sweep { lastSweep = now }
            let due = lock.withLock { () -> [(UInt64, Waiter)] in
                let new = unchecked
                unchecked = []
                return waiters.filter { id, waiter in
                    sweep || waiter.cancelled || waiter.deadline <= now || new.contains(id)
                        || touched.contains(watches[waiter.directory]?.wd ?? -1)
                }.map { ($0.key, $0.value) }
            }
            // Checks read files and decode JSON: done outside the lock.
            let finished = due.filter { _, waiter in waiter.poke(waiter.deadline <= now, waiter.cancelled) }.map(\.0)
            let stop = lock.withLock { () -> Bool in
                for id in finished {
                    guard let waiter = waiters.removeValue(forKey: id), let watch = watches[waiter.directory] else { continue }
                    if watch.users > 1 {
                        watches[waiter.directory] = (watch.wd, watch.users - 1)
                    } else {
                        _ = inotify_rm_watch(inotify, watch.wd)  // EINVAL: the directory went, the watch with it
                        watches[waiter.directory] = nil
                    }
                }
                if waiters.isEmpty { running = false }
                return waiters.isEmpty
            }
            if stop { return }
        }
    }
}
