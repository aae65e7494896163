import Testing

@testable import ComposeLoader

/// Host paths fold `.`, `..` and repeated slashes; the fast path for paths
/// that are already folded must agree with the full fold on every input.
@Suite("host paths")
struct PathsTests {
    /// The full fold, written plainly, as the reference.
    static func reference(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    @Test func everyShortPathFoldsLikeTheReference() {
        // All strings up to length 7 over "a", ".", "/", starting with "/".
        let alphabet: [Character] = ["a", ".", "/"]
        var frontier = ["/"]
        var checked = 0
        for _ in 0..<7 {
            var next: [String] = []
            for prefix in frontier {
                for c in alphabet {
                    let path = prefix + String(c)
                    #expect(Paths.normalize(path) == Self.reference(path), "\(path)")
                    next.append(path)
                    checked += 1
                }
            }
            frontier = next
        }
        #expect(Paths.normalize("/") == "/")
        #expect(checked > 3000)
    }

    @Test func examples() {
        #expect(Paths.normalize("/srv/app/./data/../conf//x") == "/srv/app/conf/x")
        #expect(Paths.normalize("/srv/.hidden/file") == "/srv/.hidden/file")
        #expect(Paths.normalize("/srv/a.../b") == "/srv/a.../b")
        #expect(Paths.resolve("./data", base: "/p", home: "/root") == "/p/data")
        #expect(Paths.resolve("~/x", base: "/p", home: "/home/u") == "/home/u/x")
    }
}
