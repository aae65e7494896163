import BerthModel
import Testing

@testable import ComposeLoader

/// The short port and volume syntaxes have a quick reading for their common
/// shapes and a full one for everything; whatever the quick one accepts must
/// come out exactly as the full one has it.
@Suite struct QuickPathTests {
    let canonicalizer = Canonicalizer(
        files: SourceFiles(), baseDirectory: "/project", environment: { $0 == "HOME" ? "/home/me" : nil })
    let mark = Mark(file: 0, line: 1, column: 1)

    /// Every combination of a few pieces, good and bad.
    func combinations(_ pieces: [[String]]) -> [String] {
        pieces.reduce([""]) { partial, next in partial.flatMap { prefix in next.map { prefix + $0 } } }
    }

    @Test func portsReadQuicklyAsInFull() {
        let specs = combinations([
            ["", "127.0.0.1:", "0.0.0.0:", ":", "1.2.3:", "256.1.1.1:", "::1:", " 127.0.0.1:", "é:"],
            ["", "8080:", "0:", "08080:", "65536:", "8000-8001:", "+80:", " 80:", ":"],
            ["80", "1", "0", "65535", "65536", "080", "000080", "80-81", "-1", "x", ""],
            ["", "/tcp", "/udp", "/sctp", "/UDP", "/", "/icmp", " "],
        ])
        var quick = 0
        for spec in specs {
            let node = Emitter.withUTF8(spec) { Canonicalizer.quickShortPort($0, mark) }
            guard let node else { continue }
            quick += 1
            let full = canonicalizer.fullShortPorts(spec, mark, "p")
            #expect(full.count == 1, "\(spec)")
            #expect(full.map { Emitter.yaml($0) } == [Emitter.yaml(node)], "\(spec)")
        }
        #expect(canonicalizer.errors.isEmpty)
        #expect(quick > 100)
    }

    @Test func volumesReadQuicklyAsInFull() {
        let specs = combinations([
            ["", "data", "./conf", "/abs", "~/x", "../up", ".", "Data_1.x-y", "bad name", "-x", "é"],
            ["", ":"],
            ["", "/var/lib", "/", "rel", "/a:b"],
            ["", ":ro", ":rw", ":RO", ":z", ":ro,z", ":", ":nocopy"],
        ])
        var quick = 0
        for spec in specs {
            let node = Emitter.withUTF8(spec) { canonicalizer.quickShortVolume($0, mark) }
            guard let node else { continue }
            quick += 1
            let errors = canonicalizer.errors.count
            let full = canonicalizer.fullShortVolume(spec, mark, "v")
            #expect(canonicalizer.errors.count == errors, "\(spec)")
            #expect(full.map { Emitter.yaml($0) } == Emitter.yaml(node), "\(spec)")
        }
        #expect(quick > 20)
    }
}
