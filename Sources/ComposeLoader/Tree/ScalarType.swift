/// YAML 1.2 core-schema typing of plain scalars (what compose-go's YAML
/// library does): `yes`/`no` are strings, not booleans.
public enum ScalarType: Sendable {
    case null, bool, int, float, string

    /// The type a plain scalar's text resolves to.
    public static func resolve(_ text: String) -> ScalarType {
        let settled = text.utf8.withContiguousStorageIfAvailable { quickResolve($0) } ?? nil
        return settled ?? parseResolve(text)
    }

    /// The type of `bytes` when a look at them settles it, else nil.
    ///
    /// `resolve` runs for every plain scalar printed and for every string the
    /// emitter might have to quote; `int` and `float` work on Characters (about
    /// 1,400 instructions for `10s`), so text that cannot be a number, and plain
    /// decimal digits, are settled here over the bytes.
    @inline(__always)
    static func quickResolve(_ bytes: UnsafeBufferPointer<UInt8>) -> ScalarType? {
        guard let first = bytes.first else { return .null }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            // Plain decimal digits are by far the common case: settle them without parsing.
            var digits = true
            var dots = 0
            for b in bytes where !(b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) {
                // Every byte `int` or `float` can accept: signs, digits, `.`, hex
                // digits, the `x` and `o` of `0x`/`0o`, and the letters of `.inf`/`.nan`.
                guard numberByte(b) else { return .string }
                digits = false
                if b == UInt8(ascii: ".") { dots += 1 }
            }
            if digits, bytes.count <= 18, first >= UInt8(ascii: "0") { return .int }
            // No integer has a dot and no float two (an IPv4 address is text):
            // settled here rather than through `Double`'s parser.
            if dots > 1 { return .string }
            return nil
        case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "~"):
            // `~` and `null` in three cases: ASCII letters and `~` have no other
            // spelling a String would find equal, so bytes decide.
            switch bytes.count {
            case 1: return first == UInt8(ascii: "~") ? .null : .string
            case 4: return equals(bytes, "null") || equals(bytes, "Null") || equals(bytes, "NULL") ? .null : .string
            default: return .string
            }
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            switch bytes.count {
            case 4: return equals(bytes, "true") || equals(bytes, "True") || equals(bytes, "TRUE") ? .bool : .string
            case 5: return equals(bytes, "false") || equals(bytes, "False") || equals(bytes, "FALSE") ? .bool : .string
            default: return .string
            }
        default:
            return .string
        }
    }

    /// True when `bytes` are `word`'s.
    @inline(__always)
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        for i in 0..<bytes.count where bytes[i] != word.utf8Start[i] { return false }
        return true
    }

    /// A byte that can appear in a YAML 1.2 integer or float (see `int` and `float`).
    @inline(__always)
    private static func numberByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"),
            UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "x"), UInt8(ascii: "o"),
            UInt8(ascii: "i"), UInt8(ascii: "n"), UInt8(ascii: "I"), UInt8(ascii: "N"):
            return true
        default:
            return false
        }
    }

    /// `resolve` by parsing, for the text `quickResolve` leaves open.
    private static func parseResolve(_ text: String) -> ScalarType {
        let utf8 = text.utf8
        guard let first = utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "~"):
            return utf8.count <= 4 && isNull(text) ? .null : .string
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            return utf8.count <= 5 && bool(text) != nil ? .bool : .string
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            // Plain decimal digits are by far the common case: settle them without parsing.
            if utf8.count <= 18, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9"),
                utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            {
                return .int
            }
            if int(text) != nil { return .int }
            if float(text) != nil { return .float }
            return .string
        default:
            return .string
        }
    }

    /// True for `null`, `Null`, `NULL`, `~` and the empty scalar.
    ///
    /// Runs for nearly every scalar the canonicalizer reads: the length
    /// (stored in the string) rules out most text before any comparison.
    public static func isNull(_ text: String) -> Bool {
        switch text.utf8.count {
        case 0: return true
        case 1: return text == "~"
        case 4: return text == "null" || text == "Null" || text == "NULL"
        default: return false
        }
    }

    /// `true`/`false` in any of the core schema's spellings.
    public static func bool(_ text: String) -> Bool? {
        switch text.utf8.count {
        case 4: return text == "true" || text == "True" || text == "TRUE" ? true : nil
        case 5: return text == "false" || text == "False" || text == "FALSE" ? false : nil
        default: return nil
        }
    }

    /// A decimal, `0o` octal or `0x` hexadecimal integer, with an optional sign.
    public static func int(_ text: String) -> Int? {
        Emitter.withUTF8(text) { parseInt($0, radix: 10, prefixes: true) }
    }

    /// `Int(_:radix:)` over ASCII bytes: an optional sign, then (with
    /// `prefixes`) `0x` or `0o` choosing the radix, then at least one digit
    /// of the radix (letters in either case). Nil for anything else (a second
    /// sign, any byte that is not ASCII) and on overflow. Read over the bytes:
    /// Substring steps compare Characters, about 1,000 instructions a number.
    static func parseInt(_ bytes: UnsafeBufferPointer<UInt8>, radix: Int, prefixes: Bool = false) -> Int? {
        var i = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            i = 1
        }
        var radix = radix
        if prefixes, bytes.count - i >= 2, bytes[i] == UInt8(ascii: "0"),
            bytes[i + 1] == UInt8(ascii: "x") || bytes[i + 1] == UInt8(ascii: "o")
        {
            radix = bytes[i + 1] == UInt8(ascii: "x") ? 16 : 8
            i += 2
        }
        guard i < bytes.count else { return nil }
        var value = 0
        while i < bytes.count {
            let b = bytes[i]
            let digit: Int
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = Int(b - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit = Int(b - UInt8(ascii: "A")) + 10
            default: return nil
            }
            guard digit < radix else { return nil }
            // Accumulated negatively when negative, so that Int.min reads.
            let (times, o1) = value.multipliedReportingOverflow(by: radix)
            let (next, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !o1 && !o2 else { return nil }
            value = next
            i += 1
        }
        return value
    }

    /// A floating-point number, including `.inf` and `.nan`.
    public static func float(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // Swift's parser takes forms YAML does not ("inf", "0x1p3"); refuse those.
        guard
            text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 101 || $0 == 69 }
            ),
            text.utf8.contains(where: { $0 >= 48 && $0 <= 57 })
        else { return nil }
        return Double(text)
    }
}
