import BerthKube
import Foundation
import Testing

/// The official Python client's check of generated objects (`Validator/validate.py`).
enum KubeValidator {
    static let script: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Validator/validate.py").path
    }()

    /// Runs the validator on `json`; its report, and whether it passed.
    static func validate(_ json: String) throws -> (passed: Bool, report: String) {
        let process = Process()
        // Debian's python3, which has python3-kubernetes (a PATH python may not).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let writer = Thread {
            input.fileHandleForWriting.write(Data(json.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus == 0, report)
    }

    /// Records an issue when the client refuses one of `objects`.
    static func expectValid(_ objects: [KubeObject], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard !objects.isEmpty else { return }
        do {
            let (passed, report) = try validate(KubeEmitter.json(objects))
            #expect(passed, "the Kubernetes client refuses:\n\(report)", sourceLocation: sourceLocation)
        } catch {
            Issue.record(error, "cannot run \(script)", sourceLocation: sourceLocation)
        }
    }
}
