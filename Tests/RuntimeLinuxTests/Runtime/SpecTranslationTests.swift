import BerthModel
import HostOS
import RuntimeKit
import Testing

@testable import RuntimeLinux

/// The pure rules of `LinuxRuntime.createContainer`; no root needed.
struct SpecTranslationTests {
    @Test func containerNamesMustBeValidIDs() throws {
        #expect(try SpecTranslation.containerID("shop-web-1").rawValue == "shop-web-1")
        for bad in ["", "-x", "a/b", "a b", String(repeating: "a", count: 129)] {
            #expect(throws: BerthError.self) { try SpecTranslation.containerID(bad) }
        }
    }

    @Test func signalsByNameOrNumber() throws {
        #expect(try SpecTranslation.signal("SIGTERM", "stop") == 15)
        #expect(try SpecTranslation.signal("kill", "stop") == 9)
        #expect(try SpecTranslation.signal("10", "stop") == 10)
        let error = #expect(throws: BerthError.self) { try SpecTranslation.signal("SIGNOPE", "kill container x") }
        #expect(error?.message == "kill container x: unknown signal \"SIGNOPE\"")
    }

    @Test func portsAreCheckedBeforeAnythingIsMade() throws {
        let requests = try SpecTranslation.portRequests(
            [
                PortSpec(hostIP: "0.0.0.0", hostPort: 8080, containerPort: 80),
                PortSpec(hostIP: "127.0.0.1", hostPort: 0, containerPort: 53, protocol: .udp),
            ], container: "c")
        #expect(requests.map(\.hostIP) == [nil, IPv4("127.0.0.1")])
        #expect(requests.map(\.hostPort) == [8080, nil])
        #expect(requests.map(\.transport) == [.tcp, .udp])
        let ipv6 = #expect(throws: BerthError.self) {
            try SpecTranslation.portRequests([PortSpec(hostIP: "::1", containerPort: 80)], container: "c")
        }
        #expect(
            ipv6?.message
                == "container c: port 0:80/tcp: host address \"::1\" is not an IPv4 address; "
                + "Berth names IPv4 host addresses only (with none, it listens on 0.0.0.0 and [::])"
        )
        #expect(throws: BerthError.self) {
            try SpecTranslation.portRequests([PortSpec(containerPort: 70000)], container: "c")
        }
        #expect(throws: BerthError.self) {
            try SpecTranslation.portRequests([PortSpec(containerPort: 80, protocol: .sctp)], container: "c")
        }
    }

    @Test func extraHostsAndTheHostGateway() throws {
        let entries = try SpecTranslation.extraHosts(
            ["db=10.0.0.5", "gw=host-gateway", "v6:::1"], gateway: "172.30.0.1", container: "c")
        #expect(entries.map(\.address) == ["10.0.0.5", "172.30.0.1", "::1"])
        #expect(entries.map(\.names) == [["db"], ["gw"], ["v6"]])
        #expect(throws: BerthError.self) { try SpecTranslation.extraHosts(["nohost"], gateway: nil, container: "c") }
    }

    @Test func resolverOfABridgeContainerIsTheGatewayEvenWithDNS() {
        var spec = ContainerSpec(name: "c", image: "busybox")
        #expect(SpecTranslation.bridgeDNS(spec, gateway: "10.1.0.1") == .init(servers: ["10.1.0.1"]))
        // `dns:` servers are where the embedded DNS forwards; the container keeps asking it.
        spec.dns = ["9.9.9.9"]
        spec.dnsSearch = ["corp"]
        spec.dnsOptions = ["ndots:2"]
        #expect(
            SpecTranslation.bridgeDNS(spec, gateway: "10.1.0.1")
                == .init(servers: ["10.1.0.1"], search: ["corp"], options: ["ndots:2"]))
    }

    @Test func hostResolverIsParsedAndOverridden() {
        let host = "# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch a.example b.example\noptions edns0\n"
        var spec = ContainerSpec(name: "c", image: "busybox")
        #expect(
            SpecTranslation.hostDNS(spec, hostResolvConf: host)
                == .init(servers: ["10.0.0.2", "10.0.0.3"], search: ["a.example", "b.example"], options: ["edns0"]))
        spec.dnsSearch = ["mine"]
        #expect(SpecTranslation.hostDNS(spec, hostResolvConf: host).search == ["mine"])
    }

    @Test func theSpecMapsOntoTheDriversSpec() throws {
        var spec = ContainerSpec(name: "shop-web-1", image: "busybox")
        spec.entrypoint = ["/bin/sh"]
        spec.command = ["-c", "true"]
        spec.environment = ["B": "2", "A": "1"]
        spec.user = "www-data"
        spec.`init` = true
        spec.readOnly = true
        spec.noNewPrivileges = true
        spec.resources = Resources(memoryLimit: 1 << 20, cpus: 0.5, pidsLimit: 10, shmSize: 1 << 16)
        spec.ulimits = ["nofile": Ulimit(soft: 100, hard: 200), "core": Ulimit(soft: -1, hard: -1)]
        spec.labels = ["com.docker.compose.service": "web"]
        let linux = SpecTranslation.linuxSpec(
            spec, id: try SpecTranslation.containerID(spec.name), image: ImageConfig(cmd: ["sh"], env: ["PATH=/bin"]),
            layers: ["/l"], network: .host, mounts: [], hosts: [], dns: .init(servers: []))
        #expect(linux.entrypoint == ["/bin/sh"] && linux.command == ["-c", "true"])
        #expect(linux.environment == ["A=1", "B=2"])
        #expect(linux.image.cmd == ["sh"] && linux.image.env == ["PATH=/bin"])
        #expect(linux.initProcess && linux.readOnlyRootfs && linux.noNewPrivileges && linux.user == "www-data")
        #expect(linux.resources == .init(memoryLimit: 1 << 20, cpus: 0.5, pidsLimit: 10, shmSize: 1 << 16))
        #expect(
            linux.ulimits == [.init(name: "core", soft: .max, hard: .max), .init(name: "nofile", soft: 100, hard: 200)])
        #expect(linux.annotations == spec.labels)
    }
}
