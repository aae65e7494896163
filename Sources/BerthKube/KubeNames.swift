/// How compose names become Kubernetes names (the rule the README states).
///
/// Object names follow RFC 1035's label rule, the strictest Kubernetes uses
/// (a Service's name): lower-case letters, digits and `-`, a letter first,
/// 63 characters at most. A compose name is lower-cased; each run of other
/// characters (`_`, `.`, …) becomes one `-`; `-` is trimmed from both ends;
/// a name that then starts with a digit gets `x-` in front; it is cut to 63
/// characters (and trimmed again). Two compose names that convert to the
/// same object name are an error, never a silent merge.
public enum KubeNames {
    /// The object name for `name`, or nil when nothing is left of it.
    public static func object(_ name: String) -> String? {
        var out = ""
        var dash = false
        for c in name.lowercased().unicodeScalars {
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") {
                out.unicodeScalars.append(c)
                dash = false
            } else if !dash {
                out += "-"
                dash = true
            }
        }
        out = trimmed(out, keeping: { $0 != "-" })
        guard let first = out.unicodeScalars.first else { return nil }
        if first >= "0" && first <= "9" { out = "x-" + out }
        return trimmed(String(out.prefix(63)), keeping: { $0 != "-" })
    }

    /// A label value: at most 63 of `[A-Za-z0-9._-]`, a letter or digit at
    /// each end; other characters become `-`. Empty when nothing is left.
    public static func labelValue(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars { out.unicodeScalars.append(isLabelCharacter(c) ? c : "-") }
        out = trimmed(out, keeping: isAlphanumeric)
        return trimmed(String(out.prefix(63)), keeping: isAlphanumeric)
    }

    /// True when `value` is a valid label value as it is.
    public static func isLabelValue(_ value: String) -> Bool {
        value.isEmpty || labelValue(value) == value
    }

    /// A label or annotation key: an optional DNS-subdomain prefix and `/`,
    /// then a name of at most 63 characters, letters or digits at each end.
    public static func isQualifiedName(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, !name.isEmpty else { return false }
        if parts.count == 2 {
            let prefix = String(parts[0])
            guard !prefix.isEmpty, prefix.count <= 253 else { return false }
            for label in prefix.split(separator: ".", omittingEmptySubsequences: false) {
                guard isDNSLabel(label) else { return false }
            }
        }
        return labelValue(String(name)) == String(name)
    }

    /// `key` made a qualified name: in the name part (after the last `/`)
    /// other characters become `-` and the ends are trimmed to letters or
    /// digits, 63 at most; the prefix is lower-cased with each of its labels
    /// made an RFC 1123 label. Nil when no name is left.
    public static func labelKey(_ key: String) -> String? {
        if isQualifiedName(key) { return key }
        let slash = key.lastIndex(of: "/")
        let namePart = slash.map { String(key[key.index(after: $0)...]) } ?? key
        let name = labelValue(namePart)
        guard !name.isEmpty else { return nil }
        guard let slash else { return name }
        let labels = key[..<slash].lowercased().split(separator: ".").compactMap { label -> String? in
            var out = ""
            for c in label.unicodeScalars {
                out.unicodeScalars.append((c >= "a" && c <= "z") || (c >= "0" && c <= "9") ? c : "-")
            }
            let trimmed = trimmed(out, keeping: { $0 != "-" })
            return trimmed.isEmpty ? nil : String(trimmed.prefix(63))
        }
        let prefix = labels.joined(separator: ".")
        return prefix.isEmpty || prefix.count > 253 ? name : "\(prefix)/\(name)"
    }

    /// A data key of a Secret or ConfigMap: `[-._a-zA-Z0-9]+`, others become `-`.
    public static func dataKey(_ key: String) -> String {
        var out = ""
        for c in key.unicodeScalars { out.unicodeScalars.append(isLabelCharacter(c) ? c : "-") }
        return out.isEmpty || out == "." || out == ".." ? "data" : out
    }

    /// RFC 1123's label: lower-case letters, digits and `-`, no `-` at either end, 63 at most.
    static func isDNSLabel(_ label: Substring) -> Bool {
        guard !label.isEmpty, label.count <= 63, label.first != "-", label.last != "-" else { return false }
        return label.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
    }

    static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
    }

    static func isLabelCharacter(_ c: Unicode.Scalar) -> Bool {
        isAlphanumeric(c) || c == "-" || c == "_" || c == "."
    }

    private static func trimmed(_ text: String, keeping keep: (Unicode.Scalar) -> Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let start = scalars.firstIndex(where: keep), let end = scalars.lastIndex(where: keep) else { return "" }
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars[start...end])
        return out
    }
}
