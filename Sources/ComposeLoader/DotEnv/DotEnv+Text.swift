extension DotEnv {
    /// compose-go's `isSpace`: blanks that do not end a line.
    static func isInlineSpace(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "\t", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}": true
        default: false
        }
    }

    /// The text from `start` to the end of its line. A quoted message shows a CRLF file's `\r`
    /// as compose-go does; a raw one drops it so it cannot garble a terminal.
    static func restOfLine(_ s: [Unicode.Scalar], _ start: Int, keepCR: Bool = false) -> String {
        var end = start
        while end < s.count && s[end] != "\n" { end += 1 }
        if !keepCR && end > start && s[end - 1] == "\r" { end -= 1 }
        return string(s[start..<end])
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
