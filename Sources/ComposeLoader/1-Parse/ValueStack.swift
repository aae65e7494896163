/// A stack of values whose top part moves out into an array, without the
/// retain and release a copy would cost per value.
struct ValueStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init() {
        capacity = 256
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// The value at `index`, read in place.
    subscript(index: Int) -> Element {
        unsafeAddress {
            precondition(index >= 0 && index < count, "ValueStack index out of range")
            return UnsafePointer(base + index)
        }
    }

    mutating func push(_ element: consuming Element) {
        if count == capacity {
            let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// The values from `start` up, moved into an array (and off the stack).
    mutating func popArray(from start: Int) -> [Element] {
        let n = count - start
        guard n > 0 else { return [] }
        count = start
        // Not `Array(unsafeUninitializedCapacity:)`: it looked up the storage
        // class's metadata at run time on every call (650 instructions).
        var out: [Element] = []
        out.reserveCapacity(n)
        for i in start..<start + n { out.append((base + i).move()) }
        return out
    }
}
