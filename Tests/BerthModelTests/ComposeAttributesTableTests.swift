import BerthModel
import Foundation
import Testing

/// `docs/compose-attributes.md` has a row for every service attribute of
/// the Compose Specification, and its WARN rows are exactly the settings
/// the loader checks (`ServiceAttributes.unapplied`): a new attribute in
/// the spec, or a setting that stops being applied, cannot slip in silently.
@Suite("the compose attributes table")
struct ComposeAttributesTableTests {
    /// The repository: three levels above this file.
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.standardizedFileURL
    }()

    /// `../shared/compose-spec/compose-spec.json`, next to the repository.
    static let specPath = repositoryRoot.appendingPathComponent("../shared/compose-spec/compose-spec.json")
        .standardizedFileURL.path

    /// The table's rows: the first cell without its backticks → the status cell.
    static func rows() throws -> [String: String] {
        let text = try String(
            contentsOf: repositoryRoot.appendingPathComponent("docs/compose-attributes.md"), encoding: .utf8)
        var rows: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count > 3 else { continue }
            rows[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[2]
        }
        return rows
    }

    /// The names of `definitions.service.properties` in the spec.
    static func specServiceAttributes() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: specPath))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let definitions = json?["definitions"] as? [String: Any]
        let service = definitions?["service"] as? [String: Any]
        let properties = service?["properties"] as? [String: Any]
        return (properties?.keys).map { $0.sorted() } ?? []
    }

    @Test func everyServiceAttributeOfTheSpecHasARow() throws {
        let attributes = try Self.specServiceAttributes()
        #expect(attributes.count > 80, "read \(attributes.count) service attributes from \(Self.specPath)")
        let rows = try Self.rows()
        let missing = attributes.filter { rows[$0] == nil }
        #expect(missing.isEmpty, "no row in docs/compose-attributes.md for: \(missing.joined(separator: ", "))")
    }

    @Test func everyStatusIsOneOfTheThree() throws {
        let statuses: Set<String> = ["applied", "applied differently", "not applied (WARN)"]
        let odd = try Self.rows().filter { !statuses.contains($0.value) }.keys.sorted()
        #expect(odd.isEmpty, "rows with another status: \(odd)")
    }

    @Test func theWarnRowsAreTheSettingsTheLoaderChecks() throws {
        let rows = try Self.rows()
        let warnRows = Set(rows.filter { $0.value == "not applied (WARN)" }.keys)
        let checked = Set(ServiceAttributes.unapplied.map(\.setting))
        #expect(warnRows.subtracting(checked).sorted() == [], "WARN rows the loader does not check")
        #expect(checked.subtracting(warnRows).sorted() == [], "checked settings without a WARN row")
    }
}
