/// `$NAME` and `${NAME…}`: the value, and the modifiers.
extension WordScanner {
    /// Reads a reference starting at `$` and returns what it stands for.
    mutating func dollar() throws(WordError) -> String {
        position += 1
        guard peek == "{" else {
            let name = name()
            if name.isEmpty { return "$" }
            guard let value = variables[name] else { return lexer.keepsUnset ? "$" + name : "" }
            return value
        }
        position += 1
        switch peek {
        case nil:
            throw WordError(message: "syntax error: missing '}'")
        case "{", "}", ":":
            throw WordError(message: "syntax error: bad substitution")
        default:
            break
        }
        let name = name()
        guard let modifier = next() else { throw WordError(message: "syntax error: missing '}'") }
        switch modifier {
        case "}":
            guard let value = variables[name] else { return lexer.keepsUnset ? "${\(name)}" : "" }
            return value
        case "/":
            return try replacement(of: name)
        case ":":
            guard let second = next() else { throw WordError(message: "syntax error: missing '}'") }
            return try modified(name, modifier: second, spelled: ":" + String(second), emptyIsUnset: true)
        case "+", "-", "?", "#", "%":
            return try modified(name, modifier: modifier, spelled: String(modifier), emptyIsUnset: false)
        default:
            throw WordError(message: "unsupported modifier (\(modifier)) in substitution")
        }
    }

    /// `${NAME-word}`, `${NAME:+word}`, `${NAME?message}`, `${NAME#pattern}`, …
    private mutating func modified(
        _ name: String, modifier: Unicode.Scalar, spelled: String, emptyIsUnset: Bool
    ) throws(WordError) -> String {
        let trims = modifier == "#" || modifier == "%"
        if emptyIsUnset && trims {
            throw WordError(message: "unsupported modifier (\(spelled)) in substitution")
        }
        let word = try closingWord(until: "}", keepingEscapes: trims)
        let value = variables[name]
        if value == nil && lexer.keepsUnset { return "${\(name)\(spelled)\(word)}" }
        let absent = value == nil || (emptyIsUnset && value == "")
        switch modifier {
        case "-":
            return absent ? word : value ?? ""
        case "+":
            return absent ? "" : word
        case "?":
            guard let value else {
                throw WordError(message: "\(name): \(word.isEmpty ? "is not allowed to be unset" : word)")
            }
            if emptyIsUnset && value.isEmpty {
                throw WordError(message: "\(name): \(word.isEmpty ? "is not allowed to be empty" : word)")
            }
            return value
        case "#", "%":
            // `##` and `%%` remove the longest match, `#` and `%` the shortest.
            var pattern = word
            let longest = pattern.unicodeScalars.first == modifier
            if longest { pattern.unicodeScalars.removeFirst() }
            let compiled = try ShellPattern(pattern, longest: longest)
            return modifier == "#" ? compiled.removingPrefix(of: value ?? "") : compiled.removingSuffix(of: value ?? "")
        default:
            throw WordError(message: "unsupported modifier (\(spelled)) in substitution")
        }
    }

    /// `${NAME/pattern/replacement}` and `${NAME//pattern/replacement}`.
    private mutating func replacement(of name: String) throws(WordError) -> String {
        let all = peek == "/"
        if all { position += 1 }
        let pattern: String
        do {
            pattern = try process(until: "/", keepingEscapes: true).text
        } catch {
            if peek == nil { throw WordError(message: "syntax error: missing '/' in ${}") }
            throw error
        }
        let replacement = try closingWord(until: "}", keepingEscapes: true)
        guard let value = variables[name] else {
            return lexer.keepsUnset ? "${\(name)/\(pattern)/\(replacement)}" : ""
        }
        let compiled = try ShellPattern(pattern, longest: true)
        return compiled.replacing(in: value, with: replacement, all: all)
    }

    /// The word of a modifier, up to its closing brace.
    private mutating func closingWord(until stop: Unicode.Scalar, keepingEscapes: Bool) throws(WordError) -> String {
        do {
            return try process(until: stop, keepingEscapes: keepingEscapes).text
        } catch {
            if peek == nil { throw WordError(message: "syntax error: missing '}'") }
            throw error
        }
    }
}
