import BerthModel
import Foundation
import Testing

/// berthd keeps each project's last `up` in `<root>/projects/<name>.json`
/// and reads it back after a restart: what an earlier berthd wrote must
/// still load, into the same values.
@Suite("projects stored by an earlier berthd")
struct StoredProjectTests {
    /// A project as berthd stored it before `network_mode`, `ipc`, `pid` and
    /// `volumes_from` were typed: encoded by that code (commit 692960a) from
    /// a loaded compose file, as `ProjectStore.save` encodes, then cut into
    /// lines between values.
    static let storedBeforeTyping = #"""
        {"configs":{},"volumes":{"data":{"external":false,"name":"shop_data","driverOptions":{},"labels":{}}},
        "networks":{"default":{"ipam":[],"internal":false,"name":"shop_default","labels":{},"driverOptions":{},
        "external":false,"enableIPv6":false}},"workingDirectory":"\/tmp\/zzdump-17747",
        "services":{"vpn":{"readOnly":false,"dnsOptions":[],"capAdd":[],"restartOnUnhealthy":true,"stdinOpen":false,
        "secrets":[],"dns":[],"capDrop":[],"extraHosts":[],"volumesFrom":[],"tty":false,"restart":{"no":{}},
        "pid":"host","replicas":1,"sysctls":{},"volumes":[],"expose":[],"labels":{},"privileged":false,"configs":[],
        "image":"busybox","links":[],"ulimits":{},"ports":[],"dnsSearch":[],"resources":{},"networks":[{"priority":0,
        "aliases":[],"network":"default"}],"dependsOn":{},"securityOpt":[],"profiles":[],"name":"vpn",
        "environment":{},"tmpfs":[],"configHash":"aa5d2d3617cb4be4b6ac45b8c4d33be33185ce3192050954ac4c2153b3005b32",
        "init":false},"web":{"name":"web","pid":"container:tools","image":"nginx","ulimits":{},"ports":[],"capAdd":[],
        "secrets":[],"links":[],"restart":{"no":{}},"replicas":1,"networkMode":"service:vpn","securityOpt":[],
        "networks":[],"environment":{},"resources":{},"init":false,"labels":{},"dnsSearch":[],"extraHosts":[],
        "volumes":[],"dnsOptions":[],"sysctls":{},
        "configHash":"1b9879b4fce92e8ec235f38016ef47c6a8878297f23511a226d521d348a373e6","ipc":"service:db",
        "volumesFrom":["db","db:ro","service:db:rw","container:other","container:other:ro"],
        "dependsOn":{"db":{"condition":"service_healthy","required":true,"restart":true}},"tty":false,"tmpfs":[],
        "stdinOpen":false,"capDrop":[],"profiles":[],"dns":[],"readOnly":false,"restartOnUnhealthy":true,"expose":[],
        "privileged":false,"configs":[]},"db":{"restart":{"no":{}},"dnsSearch":[],"dnsOptions":[],"capDrop":[],
        "name":"db","labels":{},"expose":[],"volumesFrom":[],
        "configHash":"7e6d8be62149c20f95acbdd05007d3f1d1bbc18b1ccfa0d5cd8f7dedb071b4d3","links":[],"replicas":1,
        "dependsOn":{},"init":false,"tmpfs":[],"image":"postgres:16","privileged":false,"restartOnUnhealthy":true,
        "ipc":"shareable","resources":{},"extraHosts":[],"tty":false,"ulimits":{},"capAdd":[],"securityOpt":[],
        "configs":[],"sysctls":{},"stdinOpen":false,"networks":[{"priority":0,"aliases":[],"network":"default"}],
        "readOnly":false,"volumes":[{"target":"\/var\/lib\/postgresql\/data","source":"data","createHostPath":true,
        "nocopy":false,"type":"volume","readOnly":false}],"ports":[],"dns":[],"secrets":[],"environment":{},
        "profiles":[]},"job":{"capAdd":[],"stdinOpen":false,"privileged":false,"expose":[],"links":[],"volumes":[],
        "securityOpt":[],"pid":"service:vpn","sysctls":{},"capDrop":[],"networks":[],"environment":{},
        "volumesFrom":[],"ulimits":{},"restart":{"no":{}},"extraHosts":[],"configs":[],"profiles":[],
        "configHash":"a09952a764605fa35a71575759401fd909e2820d6494a24c4c3a35aa024a56c4","dnsOptions":[],
        "dnsSearch":[],"networkMode":"none","readOnly":false,"tmpfs":[],"tty":false,"image":"busybox","name":"job",
        "ports":[],"ipc":"host","restartOnUnhealthy":true,"init":false,"replicas":1,"dependsOn":{},"secrets":[],
        "dns":[],"labels":{},"resources":{}},"side":{"replicas":1,"labels":{},"restart":{"no":{}},"dnsOptions":[],
        "resources":{},"readOnly":false,"expose":[],"restartOnUnhealthy":true,"init":false,"dns":[],"dnsSearch":[],
        "tmpfs":[],"name":"side","volumes":[],"ports":[],"volumesFrom":[],"privileged":false,"extraHosts":[],
        "sysctls":{},"secrets":[],"environment":{},"stdinOpen":false,"ipc":"none","networks":[],"capDrop":[],
        "capAdd":[],"securityOpt":[],"profiles":[],"ulimits":{},"networkMode":"container:abc123","configs":[],
        "configHash":"d92f0664dc8b2d5410a849cdaeeacb4f0e0a156688bef989926926a287e3ce52","tty":false,"image":"busybox",
        "links":[],"dependsOn":{}}},"secrets":{},"name":{"rawValue":"shop"},"activeProfiles":[],
        "graph":{"edges":[{"to":"vpn","from":"job","kind":"pid","location":{"column":10,"line":21,
        "file":"\/tmp\/zzdump-17747\/compose.yaml"}},{"to":"db","from":"web","kind":"depends_on",
        "location":{"line":16,"file":"\/tmp\/zzdump-17747\/compose.yaml","column":18}},{"to":"vpn","from":"web",
        "kind":"network_mode","location":{"column":19,"file":"\/tmp\/zzdump-17747\/compose.yaml","line":12}}],
        "services":["db","job","side","vpn","web"]}}
        """#

    @Test func aProjectStoredBeforeTheModelWasTypedLoads() throws {
        let project = try JSONDecoder().decode(Project.self, from: Data(Self.storedBeforeTyping.utf8))
        #expect(project.name.rawValue == "shop")
        #expect(project.serviceNames == ["db", "job", "side", "vpn", "web"])
        let web = try #require(project.services["web"])
        #expect(web.networkMode == .service("vpn"))
        #expect(web.ipc == .service("db"))
        #expect(web.pid == .container("tools"))
        #expect(
            web.volumesFrom == [
                VolumesFrom(.service("db")), VolumesFrom(.service("db"), readOnly: true),
                VolumesFrom(.service("db"), readOnly: false), VolumesFrom(.container("other")),
                VolumesFrom(.container("other"), readOnly: true),
            ])
        #expect(web.dependsOn["db"] == Dependency(condition: .healthy, restart: true))
        let job = try #require(project.services["job"])
        #expect(job.networkMode == .disabled && job.ipc == .host && job.pid == .service("vpn"))
        let side = try #require(project.services["side"])
        #expect(side.networkMode == .container("abc123") && side.ipc == .disabled && side.pid == nil)
        #expect(project.services["db"]?.ipc == .shareable)
        #expect(project.services["vpn"]?.pid == .host && project.services["vpn"]?.networkMode == nil)
        #expect(project.graph.startLevels == [["db", "side", "vpn"], ["job", "web"]])
    }

    /// Stored again, the project writes the texts it read, but for
    /// `service:db:rw`, which is written in its short form `db:rw`.
    @Test func aStoredProjectWritesTheSameTexts() throws {
        let project = try JSONDecoder().decode(Project.self, from: Data(Self.storedBeforeTyping.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let web = String(decoding: try encoder.encode(try #require(project.services["web"])), as: UTF8.self)
        #expect(web.contains(#""ipc":"service:db""#))
        #expect(web.contains(#""networkMode":"service:vpn""#))
        #expect(web.contains(#""pid":"container:tools""#))
        #expect(web.contains(#""volumesFrom":["db","db:ro","db:rw","container:other","container:other:ro"]"#))
        let again = try JSONDecoder().decode(Project.self, from: try encoder.encode(project))
        #expect(again == project)
    }
}
