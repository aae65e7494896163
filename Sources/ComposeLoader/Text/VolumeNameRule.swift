/// Names that become a path or an interface on the host (volumes, networks):
/// docker's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, so `/` and `..` cannot reach the kernel.
enum VolumeNameRule {
    /// Why `name` is not a valid resource name, or nil when it is.
    static func problem(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first else { return "is empty: a name is needed" }
        let ok = name.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "." || c == "-"
        }
        let firstOK = (first >= "a" && first <= "z") || (first >= "A" && first <= "Z") || (first >= "0" && first <= "9")
        guard ok, firstOK else {
            return "is not a valid name: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit"
        }
        return nil
    }
}
