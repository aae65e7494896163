import BerthModel
import Foundation
import Testing

@testable import ComposeLoader

/// SplitMix64: a small, seeded generator, so every run makes the same mutations.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One way of damaging a file.
enum Mutation: CaseIterable, CustomStringConvertible {
    case deleteLine, changeByte, insertByte, truncate, shiftIndent, duplicateLine, swapLines

    /// Bytes YAML gives meaning to, and bytes that are not text at all.
    static let palette: [UInt8] = Array(":-[]{}&*!\"'\t#|>%@`?,$ \n<a0".utf8) + [0x00, 0xFF, 0xC3, 0x0D]

    var description: String {
        switch self {
        case .deleteLine: "delete a line"
        case .changeByte: "change a byte"
        case .insertByte: "insert a byte"
        case .truncate: "cut short"
        case .shiftIndent: "shift an indent"
        case .duplicateLine: "duplicate a line"
        case .swapLines: "swap two lines"
        }
    }

    /// Applies the mutation to `bytes`, describing what it did.
    func apply(to bytes: inout [UInt8], using random: inout SeededGenerator) -> String {
        guard !bytes.isEmpty else { return "empty" }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        func join() { bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")])) }
        switch self {
        case .deleteLine:
            let i = Int.random(in: 0..<lines.count, using: &random)
            lines.remove(at: i)
            join()
            return "deleted line \(i + 1)"
        case .changeByte:
            let i = Int.random(in: 0..<bytes.count, using: &random)
            let b = Self.palette[Int.random(in: 0..<Self.palette.count, using: &random)]
            bytes[i] = b
            return "byte \(i) := 0x\(String(b, radix: 16))"
        case .insertByte:
            let i = Int.random(in: 0...bytes.count, using: &random)
            let b = Self.palette[Int.random(in: 0..<Self.palette.count, using: &random)]
            bytes.insert(b, at: i)
            return "inserted 0x\(String(b, radix: 16)) at \(i)"
        case .truncate:
            let n = Int.random(in: 0..<bytes.count, using: &random)
            bytes.removeSubrange(n...)
            return "cut at byte \(n)"
        case .shiftIndent:
            let i = Int.random(in: 0..<lines.count, using: &random)
            let shifts = [-2, -1, 1, 2]
            let by = shifts[Int.random(in: 0..<shifts.count, using: &random)]
            if by > 0 {
                lines[i].insert(contentsOf: Array(repeating: UInt8(ascii: " "), count: by), at: 0)
            } else {
                let spaces = lines[i].prefix { $0 == UInt8(ascii: " ") }.count
                lines[i].removeFirst(min(spaces, -by))
            }
            join()
            return "line \(i + 1) indent \(by)"
        case .duplicateLine:
            let i = Int.random(in: 0..<lines.count, using: &random)
            lines.insert(lines[i], at: i)
            join()
            return "duplicated line \(i + 1)"
        case .swapLines:
            let i = Int.random(in: 0..<lines.count, using: &random)
            let j = Int.random(in: 0..<lines.count, using: &random)
            lines.swapAt(i, j)
            join()
            return "swapped lines \(i + 1) and \(j + 1)"
        }
    }
}

/// Damaged compose files never crash or hang the loader: each load either
/// succeeds or fails with a `BerthError` that says something.
@Suite("robustness")
struct RobustnessTests {
    /// Mutated variants per corpus file; twenty files make well over 3,000 loads.
    static let variantsPerFile = 180

    @Test("thousands of mutated corpus files: a result or a clear error, never a crash or a hang")
    func mutatedCorpus() throws {
        let files = CorpusFiles.corpus
        try #require(files.count >= 20)
        var loads = 0
        var failures = 0
        var counts: [String: Int] = [:]

        for (index, file) in files.enumerated() {
            let original = Array(try String(contentsOfFile: file, encoding: .utf8).utf8)
            let directory = (file as NSString).deletingLastPathComponent
            var random = SeededGenerator(seed: 0xB37D_0000 + UInt64(index))
            for variant in 0..<Self.variantsPerFile {
                var bytes = original
                var steps: [String] = []
                // Mostly one mutation, sometimes two or three on top of each other.
                let count = variant % 5 == 4 ? Int.random(in: 2...3, using: &random) : 1
                for _ in 0..<count {
                    let mutation = Mutation.allCases.randomElement(using: &random)!
                    counts[mutation.description, default: 0] += 1
                    steps.append(mutation.apply(to: &bytes, using: &random))
                }
                let input = bytes
                var options = LoadOptions(workingDirectory: directory, environment: [:], standardInput: { input })
                options.files = ["-"]
                do {
                    _ = try ComposeLoader(options: options).load()
                } catch {
                    failures += 1
                    let what = "\(CorpusFiles.shortName(file)) variant \(variant) (\(steps.joined(separator: ", ")))"
                    if error.description.isEmpty || error.line.isEmpty || error.line.contains("\n")
                        || error.message.isEmpty
                    {
                        Issue.record("unclear error for \(what): \(String(reflecting: error))")
                    }
                    if error.description.contains("Fatal") {
                        Issue.record("error for \(what) reads like a crash: \(error.description)")
                    }
                }
                loads += 1
            }
        }
        #expect(loads >= 3_000)
        // Every kind of mutation was tried many times.
        for mutation in Mutation.allCases { #expect(counts[mutation.description, default: 0] >= 100, "\(mutation)") }
        // Some variants still load, most do not: the mutations are not all harmless.
        #expect(failures > loads / 10 && failures < loads, "\(failures) of \(loads) failed")
    }

    @Test("every prefix of a file loads or fails cleanly")
    func everyPrefix() throws {
        let file = "\(CorpusFiles.corpusDirectory)/awesome-compose/nginx-golang-postgres/compose.yaml"
        let original = Array(try String(contentsOfFile: file, encoding: .utf8).utf8)
        let directory = (file as NSString).deletingLastPathComponent
        for n in 0...original.count {
            let input = Array(original.prefix(n))
            var options = LoadOptions(workingDirectory: directory, environment: [:], standardInput: { input })
            options.files = ["-"]
            do {
                _ = try ComposeLoader(options: options).load()
            } catch {
                if error.line.isEmpty { Issue.record("empty error for a prefix of \(n) bytes") }
            }
        }
    }
}
