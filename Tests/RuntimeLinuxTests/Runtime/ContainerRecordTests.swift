import BerthModel
import Foundation
import RuntimeKit
import Testing

@testable import RuntimeLinux

/// A restarted berthd reads every container's record
/// (`<root>/runtime/containers/<id>.json`): one written before the
/// reconciler's types were renamed (`NetworkMode` → `ContainerNetworkMode`,
/// `VolumesFrom` → `VolumesFromContainer`) still loads. The spec is as that
/// code encoded it; the record around it as `ContainerRecordStore.save` writes.
struct ContainerRecordTests {
    static let writtenBeforeTheRenames = #"""
        {"anonymousMounts":{"/cache":"3f1c9e0a7b2d4c6e8f1a2b3c4d5e6f70"},
        "anonymousVolumes":["3f1c9e0a7b2d4c6e8f1a2b3c4d5e6f70"],"attachments":[],"createdAt":1733572000.25,
        "createdVolumes":[],
        "imageDigest":"sha256:abababababababababababababababababababababababababababababababab",
        "ownsNetns":false,"phase":"ready","ports":[],"spec":{"capAdd":[],"capDrop":[],"dns":[],"dnsOptions":[],
        "dnsSearch":[],"environment":{},"extraHosts":[],"image":"nginx","init":false,
        "ipcMode":{"container":{"_0":"shop-db-1"}},"labels":{},"mounts":[{"volume":{"name":"shop_data",
        "nocopy":false,"readOnly":false,"target":"/data"}},{"anonymous":{"target":"/cache"}}],
        "name":"shop-web-1","networkMode":{"container":{"_0":"shop-vpn-1"}},"networks":[],"pidMode":{"host":{}},
        "ports":[{"containerPort":80,"hostIP":"127.0.0.1","hostPort":8080,"protocol":"tcp"}],"privileged":false,
        "readOnly":false,"resources":{"cpus":0.5,"memoryLimit":1048576},"sysctls":{},"ulimits":{},
        "volumesFrom":[{"container":"shop-db-1","readOnly":true},{"container":"other"}]},
        "startedAt":1733572001.5,"volumes":["shop_data"]}
        """#

    @Test func aRecordWrittenBeforeTheRenamesLoads() throws {
        let record = try JSONDecoder().decode(ContainerRecord.self, from: Data(Self.writtenBeforeTheRenames.utf8))
        #expect(record.id == "shop-web-1" && record.phase == .ready)
        #expect(record.spec.networkMode == .container("shop-vpn-1"))
        #expect(record.spec.pidMode == .host && record.spec.ipcMode == .container("shop-db-1"))
        #expect(
            record.spec.volumesFrom == [
                VolumesFromContainer(container: "shop-db-1", readOnly: true), VolumesFromContainer(container: "other"),
            ])
        #expect(
            record.spec.mounts == [
                .volume(name: "shop_data", target: "/data", readOnly: false, nocopy: false),
                .anonymous(target: "/cache"),
            ])
        #expect(record.spec.ports == [PortSpec(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80)])
        #expect(record.spec.resources == Resources(memoryLimit: 1 << 20, cpus: 0.5))
    }

    @Test func theOtherNetworkModesRead() throws {
        for (json, mode) in [
            (#"{"bridge":{}}"#, ContainerNetworkMode.bridge), (#"{"none":{}}"#, .none), (#"{"host":{}}"#, .host),
        ] {
            #expect(try JSONDecoder().decode(ContainerNetworkMode.self, from: Data(json.utf8)) == mode)
        }
    }
}
