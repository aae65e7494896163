import BerthModel
import ComposeLoader
import Testing

/// Service `networks` and `network_mode`, and top-level `networks` (ipam included).
@Suite struct NetworksTests {
    // MARK: - Service networks

    @Test func listForm() throws {
        let yaml = """
            services:
              web:
                image: nginx
                networks: [front, back]
            networks:
              front:
              back:
            """
        #expect(
            try fieldYAML(yaml, "networks") == """
                back: null
                front: null

                """)
        #expect(
            try typedService(try loadYAML(yaml)).networks == [
                ServiceNetwork(network: "back"), ServiceNetwork(network: "front"),
            ])
    }

    @Test func mapFormWithOptions() throws {
        let yaml = """
            services:
              web:
                image: nginx
                networks:
                  front:
                    aliases: [www, site]
                    ipv4_address: 172.28.0.10
                    ipv6_address: "2001:db8::10"
                    priority: 100
                  back:
            networks:
              front:
                enable_ipv6: true
                ipam:
                  config:
                    - subnet: 172.28.0.0/16
                    - subnet: 2001:db8::/64
              back:
            """
        #expect(
            try fieldYAML(yaml, "networks") == """
                back: null
                front:
                  aliases:
                    - www
                    - site
                  ipv4_address: 172.28.0.10
                  ipv6_address: 2001:db8::10
                  priority: 100

                """)
        #expect(
            try typedService(try loadYAML(yaml)).networks == [
                ServiceNetwork(
                    network: "front", aliases: ["www", "site"], ipv4Address: "172.28.0.10", ipv6Address: "2001:db8::10",
                    priority: 100),
                ServiceNetwork(network: "back"),
            ])
        try expectRoundTrip(yaml)
    }

    @Test func highestPriorityComesFirst() throws {
        // The typed list is in interface order: eth0 is the highest priority, ties by name.
        let yaml = """
            services:
              web:
                image: nginx
                networks:
                  a:
                    priority: 1
                  b:
                  c:
                    priority: 1000
                  d:
                    priority: -5
            networks:
              a:
              b:
              c:
              d:
            """
        #expect(try typedService(try loadYAML(yaml)).networks.map(\.network) == ["c", "a", "b", "d"])
    }

    @Test func defaultNetworkOnlyWhenUsed() throws {
        let uses = try loadYAML(
            """
            services:
              web:
                image: nginx
            """)
        #expect(
            Emitter.yaml(uses.canonical["networks"] ?? .null()) == """
                default:
                  name: test_default

                """)
        #expect(try typedService(uses).networks == [ServiceNetwork(network: "default")])
        #expect(uses.project.networks == ["default": Network(name: "test_default")])

        let unused = try loadYAML(
            """
            services:
              web:
                image: nginx
                networks: [front]
              host:
                image: nginx
                network_mode: host
            networks:
              front:
            """)
        #expect(unused.canonical["networks"]?["default"] == nil)
        #expect(unused.project.networks.keys.sorted() == ["front"])
        #expect(try typedService(unused, "host").networks == [])
        #expect(try typedService(unused, "host").networkMode == .host)
    }

    @Test func undefinedNetwork() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    networks: [fron]
                networks:
                  front:
                """) == """
                    compose.yaml:4:16: services.web.networks.fron: network "fron" is not defined; did you mean "front"?
                    """)
    }

    @Test func networkModeWithNetworks() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    network_mode: host
                    networks: [front]
                networks:
                  front:
                """) == """
                    compose.yaml:4:19: services.web.network_mode: network_mode and networks cannot both be set
                    """)
    }

    @Test func networkModeServiceMustExist() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    network_mode: service:vpnn
                  vpn:
                    image: vpn
                """) == """
                    compose.yaml:4:19: services.web.network_mode: service "vpnn" is not defined; did you mean "vpn"?
                    """)
    }

    @Test func serviceNetworkErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    networks:
                      front:
                        ipv4_address: 172.28.0.300
                        ipv6_address: 172.28.0.3
                        alias: [x]
                networks:
                  front:
                """) == """
                    compose.yaml:8:9: services.web.networks.front.alias: unknown key "alias"; did you mean "aliases"?
                    compose.yaml:6:23: services.web.networks.front.ipv4_address: "172.28.0.300" is not an IPv4 address
                    compose.yaml:7:23: services.web.networks.front.ipv6_address: "172.28.0.3" is not an IPv6 address
                    """)
    }

    // MARK: - Top-level networks

    @Test func topLevelFields() throws {
        let yaml = """
            services:
              web:
                image: nginx
                networks: [front, outside, legacy]
            networks:
              front:
                name: my-front
                driver: bridge
                driver_opts:
                  com.docker.network.bridge.name: br-front
                internal: true
                enable_ipv6: true
                attachable: true
                labels:
                  - com.example.tier=front
                ipam:
                  driver: default
                  config:
                    - subnet: 172.28.0.0/16
                      ip_range: 172.28.5.0/24
                      gateway: 172.28.5.254
                      aux_addresses:
                        host1: 172.28.1.5
              outside:
                external: true
              legacy:
                external:
                  name: the-legacy-net
            """
        #expect(
            Emitter.yaml(try loadYAML(yaml).canonical["networks"] ?? .null()) == """
                front:
                  attachable: true
                  driver: bridge
                  driver_opts:
                    com.docker.network.bridge.name: br-front
                  enable_ipv6: true
                  internal: true
                  ipam:
                    config:
                      - aux_addresses:
                          host1: 172.28.1.5
                        gateway: 172.28.5.254
                        ip_range: 172.28.5.0/24
                        subnet: 172.28.0.0/16
                    driver: default
                  labels:
                    com.example.tier: front
                  name: my-front
                legacy:
                  external: true
                  name: the-legacy-net
                outside:
                  external: true
                  name: outside

                """)
        let networks = try loadYAML(yaml).project.networks
        #expect(
            networks["front"]
                == Network(
                    name: "my-front", driver: "bridge", driverOptions: ["com.docker.network.bridge.name": "br-front"],
                    internal: true,
                    enableIPv6: true, labels: ["com.example.tier": "front"],
                    ipam: [IPAMConfig(subnet: "172.28.0.0/16", gateway: "172.28.5.254", ipRange: "172.28.5.0/24")]))
        #expect(networks["outside"] == Network(name: "outside", external: true))
        #expect(networks["legacy"] == Network(name: "the-legacy-net", external: true))
        try expectRoundTrip(yaml)
    }

    @Test func projectPrefixedName() throws {
        let loaded = try loadYAML(
            """
            services:
              web:
                image: nginx
                networks: [back]
            networks:
              back: {}
            """)
        #expect(loaded.project.networks["back"]?.name == "test_back")
    }

    @Test func badIPAM() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                networks:
                  front:
                    ipam:
                      config:
                        - subnet: 172.28.0.0
                          gateway: 172.28.0.256
                          ip_range: 10.0.0.0/33
                        - subnet: 2001:db8::/129
                          gatway: 172.28.0.1
                """) == """
                    compose.yaml:8:19: networks.front.ipam.config[0].subnet: "172.28.0.0" is not a subnet in CIDR form like 172.28.0.0/16
                    compose.yaml:9:20: networks.front.ipam.config[0].gateway: "172.28.0.256" is not an IP address
                    compose.yaml:10:21: networks.front.ipam.config[0].ip_range: "10.0.0.0/33" is not a subnet in CIDR form like 172.28.0.0/16
                    compose.yaml:12:11: networks.front.ipam.config[1].gatway: unknown key "gatway"; did you mean "gateway"?
                    compose.yaml:11:19: networks.front.ipam.config[1].subnet: "2001:db8::/129" is not a subnet in CIDR form like 172.28.0.0/16
                    """)
    }

    @Test func topLevelErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                networks:
                  front:
                    internal: sometimes
                    driver_opt:
                      a: b
                  back: [x]
                """) == """
                    compose.yaml:7:5: networks.front.driver_opt: unknown key "driver_opt"; did you mean "driver_opts"?
                    compose.yaml:6:15: networks.front.internal: must be true or false, not "sometimes"
                    compose.yaml:9:9: networks.back: must be a mapping, not a list
                    """)
    }
}
