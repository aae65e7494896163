/// A light check of an image reference (`[host[:port]/]path[:tag][@digest]`)
/// so that a typo in `FROM` or `--from` is reported with its line before
/// anything is looked up. The caller parses references properly (Registry's
/// `ImageReference`); this only refuses what cannot be one.
enum ImageName {
    /// Why `reference` is not an image reference, or nil when it may be one.
    static func problem(_ reference: String) -> String? {
        var rest = Substring(reference)
        if let at = rest.firstIndex(of: "@") {
            guard isDigest(rest[rest.index(after: at)...]) else { return "the digest after @ is malformed" }
            rest = rest[..<at]
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            guard isTag(rest[rest.index(after: colon)...]) else { return "the tag after : is malformed" }
            rest = rest[..<colon]
        }
        guard !rest.isEmpty, rest.count <= 255 else { return "the name is empty or longer than 255 characters" }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 1, let first = components.first,
            first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase)
        {
            guard isDomain(first) else { return "the registry host \(first) is malformed" }
            components.removeFirst()
        }
        for component in components where !isPathComponent(component) {
            if component.contains(where: \.isUppercase) { return "repository names must be lowercase" }
            return "\(component.isEmpty ? "an empty path component" : "\"\(component)\"") is not a valid name"
        }
        return nil
    }

    /// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-`.
    private static func isPathComponent(_ component: Substring) -> Bool {
        let scalars = Array(component.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, isLowerAlnum(first), isLowerAlnum(last) else {
            return false
        }
        var separator = ""
        for scalar in scalars {
            if isLowerAlnum(scalar) {
                guard
                    separator.isEmpty || separator == "." || separator == "_" || separator == "__"
                        || separator.allSatisfy({ $0 == "-" })
                else { return false }
                separator = ""
            } else {
                separator.unicodeScalars.append(scalar)
            }
        }
        return true
    }

    private static func isLowerAlnum(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || scalar.isASCIIDigit
    }

    private static func isDomain(_ text: Substring) -> Bool {
        var host = text
        if let colon = text.lastIndex(of: ":"), !text.hasPrefix("[") || text[..<colon].hasSuffix("]") {
            let port = text[text.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return false }
            host = text[..<colon]
        }
        if host.hasPrefix("[") { return host.hasSuffix("]") }
        return !host.isEmpty
            && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                !label.isEmpty && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "-" }
            }
    }

    /// `[\w][\w.-]{0,127}`.
    private static func isTag(_ tag: Substring) -> Bool {
        guard let first = tag.unicodeScalars.first, tag.unicodeScalars.count <= 128, isWord(first) else { return false }
        return tag.unicodeScalars.allSatisfy { isWord($0) || $0 == "." || $0 == "-" }
    }

    private static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCIILetter || scalar.isASCIIDigit || scalar == "_"
    }

    /// `algorithm:hex`, the hex at least 32 characters.
    private static func isDigest(_ digest: Substring) -> Bool {
        guard let colon = digest.firstIndex(of: ":") else { return false }
        let algorithm = digest[..<colon]
        let hex = digest[digest.index(after: colon)...]
        guard let first = algorithm.unicodeScalars.first, first.isASCIILetter else { return false }
        return algorithm.unicodeScalars.allSatisfy { isWord($0) || "+.-".unicodeScalars.contains($0) }
            && hex.count >= 32 && hex.allSatisfy(\.isHexDigit)
    }
}
