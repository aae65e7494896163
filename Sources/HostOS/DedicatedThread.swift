import Glibc

/// Runs work on a fresh pthread that ends when the work does.
///
/// Why not a Swift task: `setns` and `unshare(CLONE_NEWNET)` move only the
/// calling *thread*. Done on a thread of Swift's cooperative pool, every
/// task that later lands on that thread would silently open its sockets in
/// a container's namespace. Switching back afterwards is not enough either:
/// if the way back fails the thread is poisoned for good. A thread that
/// exits takes its namespace with it, so nothing can leak. Blocking work
/// (a child's pipes, a poll loop) goes here too, because a blocked pool
/// thread is one the whole process loses. So do the runtime's short
/// blocking steps (a crun run, a mount): not on Dispatch's global queue,
/// which on Linux runs about one worker per core and notices a blocked one
/// only after a while (with both in crun runs, a 1 s stop took 10 s).
///
/// A thread costs tens of microseconds to start, far below a netlink-heavy
/// operation's budget.
public enum DedicatedThread {
    /// Runs `body` on a new thread and waits for it; the caller blocks.
    public static func runBlocking<T>(_ body: () throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            // `result` is written by the new thread and read here only after
            // pthread_join, which orders the two.
            var result: Result<T, any Error>?
            let work = ThreadWork { result = Result { try body() } }
            let thread = try start(work, detached: false)
            let rc = pthread_join(thread, nil)
            guard rc == 0, let result else {
                throw HostOSError(.syscall, "join dedicated thread", errno: rc == 0 ? EINVAL : rc)
            }
            return try result.get()
        }
    }

    /// Runs `body` on a new thread without blocking the caller's thread: the
    /// task suspends until the thread resumes it.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let work = ThreadWork { continuation.resume(with: Result { try body() }) }
            do {
                _ = try start(work, detached: true)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    private static func start(_ work: ThreadWork, detached: Bool) throws(HostOSError) -> pthread_t {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        var thread = pthread_t()
        // The retained reference travels through the C void* and is taken
        // back (and released) by the thread itself.
        let context = Unmanaged.passRetained(work).toOpaque()
        let rc = pthread_create(
            &thread, &attributes,
            { raw in
                guard let raw else { return nil }
                Unmanaged<ThreadWork>.fromOpaque(raw).takeRetainedValue().main()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<ThreadWork>.fromOpaque(context).release()
            throw HostOSError(.syscall, "start dedicated thread", errno: rc)
        }
        return thread
    }
}

/// The closure a dedicated thread runs, boxed to cross pthread_create's
/// `void *`.
private final class ThreadWork {
    let main: () -> Void
    init(_ main: @escaping () -> Void) { self.main = main }
}
