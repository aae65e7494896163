/// One-at-a-time per key, across awaits: what an actor alone does not give,
/// since an actor lets another call in whenever the running one awaits.
/// `LinuxRuntime` holds one per container id, so a `start` and a `remove`
/// of one container never interleave while different containers' calls run
/// in parallel. Waiters go in arrival order.
///
/// Not thread-safe by itself: it lives inside an actor and is only touched
/// from it.
struct KeyedGate {
    private var busy: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Whether someone holds `key` now.
    func isHeld(_ key: String) -> Bool { busy.contains(key) }

    /// Takes `key` at once when it is free; false when it is held.
    mutating func tryEnter(_ key: String) -> Bool {
        busy.insert(key).inserted
    }

    /// Queues for `key`; the continuation is resumed by `leave` when it is
    /// this waiter's turn (the key stays held, handed over).
    mutating func enqueue(_ key: String, _ continuation: CheckedContinuation<Void, Never>) {
        waiters[key, default: []].append(continuation)
    }

    /// Hands `key` to the next waiter, or frees it.
    mutating func leave(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            busy.remove(key)
        }
    }
}
