import BerthModel
import Foundation
import Synchronization

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
final class DirectoryWatches: Sendable {
    /// One registered wait. `poke` runs the check and resumes the waiting
    /// task when it is done (or expired, or cancelled); it returns whether
    /// the waiter is finished.
    private struct Waiter {
        var directory: String
        var deadline: ContinuousClock.Instant
        var cancelled = false
        var poke: @Sendable (_ expired: Bool, _ cancelled: Bool) -> Bool
    }

    /// Everything the waiting tasks and the thread share.
    private struct State {
        var inotify: Int32 = -1
        var wake: (Int32, Int32) = (-1, -1)
        var waiters: [UInt64: Waiter] = [:]
        /// Waiters not yet checked since they registered.
        var unchecked = Set<UInt64>()
        /// Cancelled before they registered.
        var cancelledEarly = Set<UInt64>()
        var nextID: UInt64 = 0
        var watches: [String: (wd: Int32, users: Int)] = [:]
        var running = false
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()

    deinit {
        state.withLock { state in
            for fd in [state.inotify, state.wake.0, state.wake.1] where fd >= 0 { close(fd) }
        }
    }

    /// Runs `check` until it returns a value (returned), throws (thrown), or
    /// `timeout` passes (nil). Task cancellation ends it with `CancellationError`.
    func wait<T: Sendable>(
        directory: String, timeout: Duration, check: @escaping @Sendable () throws -> T?
    ) async throws -> T? {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, Error>) in
                let poke = { @Sendable (expired: Bool, cancelled: Bool) -> Bool in
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
                    try register(
                        id, Waiter(directory: directory, deadline: clock.now.advanced(by: timeout), poke: poke))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            state.withLock { state in
                if state.waiters[id] != nil {
                    state.waiters[id]?.cancelled = true
                } else {
                    state.cancelledEarly.insert(id)
                }
            }
            signalWake()
        }
    }

    private func register(_ id: UInt64, _ waiter: Waiter) throws {
        var waiter = waiter
        let start = try state.withLock { state throws -> Bool in
            if state.cancelledEarly.remove(id) != nil { waiter.cancelled = true }
            if state.inotify < 0 {
                state.inotify = try checkSyscall("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) }
                state.wake = try ChildProcess.socketPair()
                _ = fcntl(state.wake.0, F_SETFL, O_NONBLOCK)
            }
            if let watch = state.watches[waiter.directory] {
                state.watches[waiter.directory] = (watch.wd, watch.users + 1)
            } else {
                let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_DELETE_SELF)
                let wd = inotify_add_watch(state.inotify, waiter.directory, mask)
                guard wd >= 0 else { throw BerthError.system("watching \(waiter.directory)", errno: errno) }
                state.watches[waiter.directory] = (wd, 1)
            }
            state.waiters[id] = waiter
            state.unchecked.insert(id)
            if state.running { return false }
            state.running = true
            return true
        }
        if start { Thread { self.loop() }.start() }
        // The thread checks each new waiter once before it sleeps.
        signalWake()
    }

    private func signalWake() {
        let fd = state.withLock { $0.wake.1 }
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
            let (fds, timeout) = state.withLock { state -> ((Int32, Int32), Int32) in
                let nearest = state.waiters.values.map(\.deadline).min() ?? clock.now.advanced(by: .seconds(1))
                let until = min(nearest, lastSweep.advanced(by: .seconds(1)))
                return ((state.inotify, state.wake.0), Int32(max(0, clock.now.duration(to: until).milliseconds)))
            }
            var polls = [
                pollfd(fd: fds.0, events: Int16(POLLIN), revents: 0),
                pollfd(fd: fds.1, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&polls, 2, timeout)
            // Which directories had events.
            var touched = Set<Int32>()
            while true {
                let n = read(fds.0, &buffer, buffer.count)
                if n <= 0 { break }
                var offset = 0
                while offset + 16 <= n {
                    let wd = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }
                    let length = buffer.withUnsafeBytes {
                        $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
                    }
                    touched.insert(wd)
                    offset += 16 + Int(length)
                }
            }
            while read(fds.1, &buffer, buffer.count) > 0 {}

            let now = clock.now
            let sweep = now >= lastSweep.advanced(by: .seconds(1))
            if sweep { lastSweep = now }
            let due = state.withLock { state -> [(UInt64, Waiter)] in
                let new = state.unchecked
                state.unchecked = []
                return state.waiters.filter { id, waiter in
                    sweep || waiter.cancelled || waiter.deadline <= now || new.contains(id)
                        || touched.contains(state.watches[waiter.directory]?.wd ?? -1)
                }.map { ($0.key, $0.value) }
            }
            // Checks read files and decode JSON: done outside the lock.
            let finished = due.filter { _, waiter in waiter.poke(waiter.deadline <= now, waiter.cancelled) }.map(\.0)
            let stop = state.withLock { state -> Bool in
                for id in finished {
                    guard let waiter = state.waiters.removeValue(forKey: id),
                        let watch = state.watches[waiter.directory]
                    else { continue }
                    if watch.users > 1 {
                        state.watches[waiter.directory] = (watch.wd, watch.users - 1)
                    } else {
                        _ = inotify_rm_watch(state.inotify, watch.wd)  // EINVAL: the directory went, the watch with it
                        state.watches[waiter.directory] = nil
                    }
                }
                if state.waiters.isEmpty { state.running = false }
                return state.waiters.isEmpty
            }
            if stop { return }
        }
    }
}
