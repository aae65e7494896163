/// One row of `berth system df`, in `docker system df`'s terms: how many
/// objects of a kind there are, how many are in use, the bytes they hold
/// on disk and the bytes a prune would free.
public struct DiskUsageRow: Sendable, Hashable, Codable {
    /// `Images`, `Containers`, `Local Volumes` or `Build Cache`.
    public var type: String
    public var total: Int
    public var active: Int
    /// Bytes, measured from the files.
    public var size: Int64
    public var reclaimable: Int64

    public init(type: String, total: Int, active: Int, size: Int64, reclaimable: Int64) {
        self.type = type
        self.total = total
        self.active = active
        self.size = size
        self.reclaimable = reclaimable
    }
}

/// `berth builder prune`: which cache entries go.
public struct BuilderPruneRequest: Sendable, Hashable, Codable {
    /// `-a`: every entry, not only those no image's layers use.
    public var all: Bool
    /// `--keep-storage`: stop once the cache holds at most this many bytes,
    /// least recently used entries going first; nil: no floor.
    public var keepStorage: Int64?

    public init(all: Bool = false, keepStorage: Int64? = nil) {
        self.all = all
        self.keepStorage = keepStorage
    }
}

/// What `berth builder prune` did.
public struct BuilderPruneResult: Sendable, Hashable, Codable {
    /// Cache entries forgotten.
    public var removed: Int
    /// Bytes of layer files deleted from the disk.
    public var reclaimed: Int64

    public init(removed: Int, reclaimed: Int64) {
        self.removed = removed
        self.reclaimed = reclaimed
    }
}

/// Sizes as docker prints them (go-units' `HumanSize`): decimal units,
/// four significant digits, `B`, `kB`, `MB`, `GB`, `TB`.
public enum DecimalSize {
    /// `0B`, `512B`, `1.5kB`, `12.35MB`.
    public static func text(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return significant(value, 4) + units[unit]
    }

    /// `%.4g` as Go formats it: at most `digits` significant digits, no trailing zeros.
    static func significant(_ value: Double, _ digits: Int) -> String {
        guard value != 0 else { return "0" }
        var integerDigits = 1
        var magnitude = abs(value)
        while magnitude >= 10 {
            magnitude /= 10
            integerDigits += 1
        }
        let decimals = max(0, digits - integerDigits)
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// `--keep-storage 10GB`, `512mb`, `1.5k`, `100` (bytes), as docker's
    /// `RAMInBytes` reads them: binary multiples (`k` is 1024).
    public static func parse(_ text: String) -> Int64? {
        var digits = Substring(text.trimmingCharacters(in: " "))
        var suffix = ""
        while let last = digits.last, last.isLetter {
            suffix = String(last).lowercased() + suffix
            digits.removeLast()
        }
        guard let number = Double(String(digits).trimmingCharacters(in: " ")), number >= 0 else { return nil }
        let k = 1024.0
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": k, "kb": k, "kib": k, "m": k * k, "mb": k * k, "mib": k * k,
            "g": k * k * k, "gb": k * k * k, "gib": k * k * k, "t": k * k * k * k, "tb": k * k * k * k,
            "tib": k * k * k * k,
        ]
        guard let multiplier = multipliers[suffix] else { return nil }
        return Int64(number * multiplier)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}
