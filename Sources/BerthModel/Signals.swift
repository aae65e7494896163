/// Signal names as docker takes them (`SIGTERM`, `TERM`, `15`).
public enum Signals {
    static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    /// The signal's number, or nil when the name is unknown.
    public static func number(_ name: String) -> Int32? {
        if let n = Int32(name), (1...64).contains(n) { return n }
        var upper = name.uppercased()
        if upper.hasPrefix("SIG") { upper = String(upper.dropFirst(3)) }
        if upper.hasPrefix("RTMIN+"), let n = Int32(upper.dropFirst(6)), (0...30).contains(n) { return 34 + n }
        return table[upper]
    }
}
