import BerthModel
import Foundation
import Testing

/// `network_mode`, `ipc`, `pid` and `volumes_from` as typed values: each
/// compose text parses to one case and prints back as that text.
@Suite("network_mode, ipc, pid and volumes_from")
struct ServiceSharingTests {
    @Test func networkModes() {
        let cases: [(String, NetworkMode)] = [
            ("bridge", .bridge), ("host", .host), ("none", .disabled), ("service:vpn", .service("vpn")),
            ("container:abc123", .container("abc123")), ("container:", .container("")), ("default", .other("default")),
            ("backend", .other("backend")), ("service", .other("service")), ("", .other("")),
        ]
        for (text, mode) in cases {
            #expect(NetworkMode(text) == mode, "\(text)")
            #expect(mode.description == text)
        }
        #expect(NetworkMode("service:vpn").service == "vpn")
        #expect(NetworkMode("container:vpn").service == nil)
    }

    @Test func namespaceModes() {
        let cases: [(String, NamespaceMode)] = [
            ("host", .host), ("service:db", .service("db")), ("container:tools", .container("tools")),
            ("private", .private), ("shareable", .shareable), ("none", .disabled), ("bogus", .other("bogus")),
        ]
        for (text, mode) in cases {
            #expect(NamespaceMode(text) == mode, "\(text)")
            #expect(mode.description == text)
        }
        #expect(NamespaceMode("service:db").service == "db")
        #expect(NamespaceMode("host").service == nil)
    }

    @Test func volumesFromEntries() {
        let cases: [(String, VolumesFrom, String)] = [
            ("db", VolumesFrom(.service("db")), "db"),
            ("db:ro", VolumesFrom(.service("db"), readOnly: true), "db:ro"),
            ("db:rw", VolumesFrom(.service("db"), readOnly: false), "db:rw"),
            ("service:db", VolumesFrom(.service("db")), "db"),
            ("service:db:rw", VolumesFrom(.service("db"), readOnly: false), "db:rw"),
            // The prefix is read before the mode.
            ("service:ro", VolumesFrom(.service("ro")), "ro"),
            ("container:ro", VolumesFrom(.container("ro")), "container:ro"),
            ("container:other", VolumesFrom(.container("other")), "container:other"),
            ("container:other:ro", VolumesFrom(.container("other"), readOnly: true), "container:other:ro"),
            ("container", VolumesFrom(.service("container")), "service:container"),
            ("service:container:ro", VolumesFrom(.service("container"), readOnly: true), "service:container:ro"),
            ("service:service:rw", VolumesFrom(.service("service"), readOnly: false), "service:service:rw"),
        ]
        for (text, entry, printed) in cases {
            #expect(VolumesFrom(parsing: text) == entry, "\(text)")
            #expect(entry.description == printed)
            #expect(VolumesFrom(parsing: printed) == entry, "\(printed)")
        }
        for text in ["db:z", "db:ro:rw", "a:b:c", "service:db:z"] {
            #expect(VolumesFrom(parsing: text) == nil, "\(text)")
        }
        #expect(VolumesFrom(parsing: "service:db:ro")?.service == "db")
        #expect(VolumesFrom(parsing: "container:db")?.service == nil)
    }

    @Test func codableAsTheComposeText() throws {
        var service = Service(name: "web")
        service.networkMode = .service("vpn")
        service.ipc = .shareable
        service.pid = .container("tools")
        service.volumesFrom = [VolumesFrom(.service("db"), readOnly: true), VolumesFrom(.container("cache"))]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(service), as: UTF8.self)
        #expect(json.contains(#""networkMode":"service:vpn""#))
        #expect(json.contains(#""ipc":"shareable","#))
        #expect(json.contains(#""pid":"container:tools""#))
        #expect(json.contains(#""volumesFrom":["db:ro","container:cache"]"#))
        #expect(try JSONDecoder().decode(Service.self, from: Data(json.utf8)) == service)
    }

    /// An entry the loader let through before it parsed `volumes_from`
    /// (the runtime then skipped it) still decodes, and still names nothing.
    @Test func aStoredEntryOfAnotherShapeStillDecodes() throws {
        let entries = try JSONDecoder().decode([VolumesFrom].self, from: Data(#"["db:z"]"#.utf8))
        #expect(entries == [VolumesFrom(.service("db:z"))])
        #expect(String(decoding: try JSONEncoder().encode(entries), as: UTF8.self) == #"["db:z"]"#)
    }
}
