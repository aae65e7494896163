/// Why interpolation failed; the caller adds file:line:col and the YAML path.
struct InterpolationError: Error, Equatable {
    /// The whole message, e.g. `required variable DB_PASSWORD is missing a value: set it in .env`
    /// or `invalid interpolation format for "${FOO"`.
    var message: String
    /// The variable's name when one is involved (`${VAR:?err}`, `${VAR?err}`).
    var variable: String?

    /// Makes an error; `variable` is nil for syntax errors.
    init(message: String, variable: String? = nil) {
        self.message = message
        self.variable = variable
    }
}

/// Compose variable interpolation (`$VAR`, `${VAR}`, `${VAR:-default}` …), matching
/// compose-go's `template` package, including its quirks:
///
/// - A braced form with an operator (`${A:-x}`) ends, like compose-go's regexp
///   `\$\{name(?::?[-+?](.*))?\}`, at the *last* `}` on the same line; the argument is then
///   cut at the first balanced `}` and what follows is interpolated as ordinary text.
///   So `${A:-{"k":1}}` defaults to `{"k":1}`, while `${A:-x` with no `}` on its line is an error.
/// - A `$` that is not followed by `$`, `{` or a name start stays a literal `$`.
/// - Arguments (default, alternative, error text) are interpolated only when used.
///
/// A malformed form is reported with the text of the innermost default / alternative / error
/// text that holds it, or else the whole value. compose-go, which interpolates the text after
/// an operator form as a separate template, would name only that tail (`" ${ }"` for
/// `${A:-x} ${ }`). Nesting deeper than `maxNesting` is an error instead of a deep recursion.
enum Interpolation {
    /// Substitutes variables in one scalar value. `lookup` returns nil for an unset variable
    /// (a variable set to "" is set, and empty). An unset variable without a default becomes "".
    /// A string with no `$` is returned as is, without copying.
    static func substitute(
        _ text: String, lookup: (String) -> String?
    ) throws(InterpolationError) -> String {
        // Nearly every value in a large file has no `$`: answer those without building anything.
        let hasDollar =
            text.utf8.withContiguousStorageIfAvailable { $0.contains(dollar) }
            ?? text.utf8.contains(dollar)
        if !hasDollar { return text }

        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32)
        try expand(bytes, bytes.indices, into: &out, depth: 0, lookup: lookup)
        // Every cut above falls on an ASCII byte, so `out` is valid UTF-8.
        return String(decoding: out, as: UTF8.self)
    }

    /// Nested defaults recurse; a hostile value like `${A:-${A:-${A:-…` must not overflow the
    /// stack. Real files nest two or three levels.
    static let maxNesting = 64

    private static let dollar = UInt8(ascii: "$")
    private static let openBrace = UInt8(ascii: "{")
    private static let closeBrace = UInt8(ascii: "}")
    private static let colon = UInt8(ascii: ":")
    private static let newline = UInt8(ascii: "\n")

    /// Appends the interpolation of `b[range]` to `out`. `range` is one template in
    /// compose-go's sense: the whole value, or one default / alternative / error text.
    private static func expand(
        _ b: [UInt8], _ range: Range<Int>, into out: inout [UInt8], depth: Int,
        lookup: (String) -> String?
    ) throws(InterpolationError) {
        guard depth <= maxNesting else {
            throw InterpolationError(
                message: "interpolation nested more than \(maxNesting) levels deep in \(quoted(b, range))")
        }
        let end = range.upperBound
        var i = range.lowerBound
        // Where the last `}` of the current line is; an operator form extends to it, and a
        // line with many `${A:-x}` would otherwise be rescanned once per form.
        var lineScan: LineScan = (from: -1, to: -1, lastBrace: nil)

        while i < end {
            guard let d = b[i..<end].firstIndex(of: dollar) else {
                out.append(contentsOf: b[i..<end])
                return
            }
            out.append(contentsOf: b[i..<d])
            i = d
            let next = i + 1
            guard next < end else {  // a trailing `$` is literal
                out.append(dollar)
                return
            }
            let c = b[next]
            if c == dollar {  // `$$` is an escaped `$`
                out.append(dollar)
                i += 2
                continue
            }
            if isNameStart(c) {  // `$NAME`: the longest run of name characters
                var j = next + 1
                while j < end && isNameChar(b[j]) { j += 1 }
                if let value = lookup(string(b, next..<j)) { out.append(contentsOf: value.utf8) }
                i = j
                continue
            }
            guard c == openBrace else {  // `$5`, `$-`, `$ `: compose-go leaves these alone
                out.append(dollar)
                i += 1
                continue
            }
            i = try expandBraced(b, range, at: i, into: &out, depth: depth, lineScan: &lineScan, lookup: lookup)
        }
    }

    /// Where an operator form may end: the last `}` on the line from `from` to
    /// `to`, kept while the forms of one line are read.
    private typealias LineScan = (from: Int, to: Int, lastBrace: Int?)

    /// Appends the interpolation of the braced form whose `$` is at `start`
    /// (`${NAME}`, `${NAME:-default}`, …) and returns where the text after it begins.
    private static func expandBraced(
        _ b: [UInt8], _ range: Range<Int>, at start: Int, into out: inout [UInt8], depth: Int,
        lineScan: inout LineScan, lookup: (String) -> String?
    ) throws(InterpolationError) -> Int {
        let end = range.upperBound
        // A name must follow `${` at once (`${ FOO}` is invalid).
        let nameStart = start + 2
        guard nameStart < end, isNameStart(b[nameStart]) else { throw invalid(b, range) }
        var nameEnd = nameStart + 1
        while nameEnd < end && isNameChar(b[nameEnd]) { nameEnd += 1 }
        guard nameEnd < end else { throw invalid(b, range) }
        let name = string(b, nameStart..<nameEnd)

        var opPos = nameEnd
        let hasColon = b[opPos] == colon
        if hasColon { opPos += 1 }
        if opPos < end, isOperator(b[opPos]) {
            // The form runs to the last `}` before the end of the line.
            if lineScan.from > opPos || opPos > lineScan.to {
                var k = opPos + 1
                var last: Int? = nil
                while k < end && b[k] != newline {
                    if b[k] == closeBrace { last = k }
                    k += 1
                }
                lineScan = (opPos, k, last)
            }
            if let last = lineScan.lastBrace, last > opPos {
                // The argument stops at the first balanced `}`; the text after it, up to
                // `last`, is plain text and is handled by the caller's loop.
                let close = firstBalancedClose(b, from: start, through: last) ?? last
                let argument = (opPos + 1)..<close
                try apply(
                    operator: b[opPos], colon: hasColon, name: name, argument: argument,
                    b, into: &out, depth: depth, lookup: lookup)
                return close + 1
            }
        }
        // No operator (or one with no `}` on its line): only `${NAME}` remains valid.
        guard b[nameEnd] == closeBrace else { throw invalid(b, range) }
        if let value = lookup(name) { out.append(contentsOf: value.utf8) }
        return nameEnd + 1
    }

    /// Evaluates `${name<op>argument}` for op in `-`, `+`, `?`, with or without the colon
    /// that makes an empty value count as unset.
    private static func apply(
        operator op: UInt8, colon: Bool, name: String, argument: Range<Int>,
        _ b: [UInt8], into out: inout [UInt8], depth: Int, lookup: (String) -> String?
    ) throws(InterpolationError) {
        let value = lookup(name)
        let isSet = value != nil
        let isUsable = colon ? !(value ?? "").isEmpty : isSet
        switch op {
        case UInt8(ascii: "-"):  // default
            if isUsable {
                out.append(contentsOf: (value ?? "").utf8)
            } else {
                try expand(b, argument, into: &out, depth: depth + 1, lookup: lookup)
            }
        case UInt8(ascii: "+"):  // alternative; when not applicable, the (empty) value itself
            if isUsable {
                try expand(b, argument, into: &out, depth: depth + 1, lookup: lookup)
            }
        default:  // `?`: required
            if isUsable {
                out.append(contentsOf: (value ?? "").utf8)
                return
            }
            var reason: [UInt8] = []
            try expand(b, argument, into: &reason, depth: depth + 1, lookup: lookup)
            let message =
                reason.isEmpty
                ? "required variable \(name) is missing a value"
                : "required variable \(name) is missing a value: \(String(decoding: reason, as: UTF8.self))"
            throw InterpolationError(message: message, variable: name)
        }
    }

    /// compose-go's `getFirstBraceClosingIndex`: counts `{`/`}` from the `${`, skipping the
    /// byte after each `{`, and returns the `}` that brings the count back to zero.
    private static func firstBalancedClose(_ b: [UInt8], from start: Int, through last: Int) -> Int? {
        var open = 0
        var k = start
        while k <= last {
            if b[k] == closeBrace {
                open -= 1
                if open == 0 { return k }
            } else if b[k] == openBrace {
                open += 1
                k += 1  // compose-go skips the next byte; kept so `${A:-{}x}` splits the same way
            }
            k += 1
        }
        return nil
    }

    private static func invalid(_ b: [UInt8], _ range: Range<Int>) -> InterpolationError {
        InterpolationError(message: "invalid interpolation format for \(quoted(b, range))")
    }

    private static func quoted(_ b: [UInt8], _ range: Range<Int>) -> String {
        "\"" + string(b, range) + "\""
    }

    private static func string(_ b: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: b[range], as: UTF8.self)
    }

    /// `[_a-zA-Z]`: compose-go's names are ASCII only.
    @inline(__always)
    static func isNameStart(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
    }

    /// `[_a-zA-Z0-9]`.
    @inline(__always)
    static func isNameChar(_ c: UInt8) -> Bool {
        isNameStart(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    @inline(__always)
    private static func isOperator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: "?")
    }
}
