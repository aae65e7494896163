import BerthModel
import ComposeLoader
import Testing

@Suite struct PortsTests {
    @Test func containerPortOnlyAsStringAndInteger() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - "80"
                  - 81
            """
        #expect(
            try fieldYAML(yaml, "ports") == """
                - mode: ingress
                  target: 80
                  protocol: tcp
                - mode: ingress
                  target: 81
                  protocol: tcp

                """)
        let web = try typedService(try loadYAML(yaml))
        #expect(web.ports == [PortMapping(target: 80), PortMapping(target: 81)])
    }

    @Test func hostAndContainer() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - 8080:80
            """
        #expect(
            try fieldYAML(yaml, "ports") == """
                - mode: ingress
                  target: 80
                  published: "8080"
                  protocol: tcp

                """)
        #expect(try typedService(try loadYAML(yaml)).ports == [PortMapping(target: 80, published: "8080")])
    }

    @Test func hostAddress() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - 127.0.0.1:8080:80
                  - "[::1]:8081:81"
                  - ::1:8082:82
            """
        #expect(
            try fieldYAML(yaml, "ports") == """
                - mode: ingress
                  host_ip: 127.0.0.1
                  target: 80
                  published: "8080"
                  protocol: tcp
                - mode: ingress
                  host_ip: ::1
                  target: 81
                  published: "8081"
                  protocol: tcp
                - mode: ingress
                  host_ip: ::1
                  target: 82
                  published: "8082"
                  protocol: tcp

                """)
        #expect(
            try typedService(try loadYAML(yaml)).ports == [
                PortMapping(target: 80, published: "8080", hostIP: "127.0.0.1"),
                PortMapping(target: 81, published: "8081", hostIP: "::1"),
                PortMapping(target: 82, published: "8082", hostIP: "::1"),
            ])
        try expectRoundTrip(yaml)
    }

    @Test func hostAddressWithoutHostPort() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - 127.0.0.1::80
            """
        #expect(try typedService(try loadYAML(yaml)).ports == [PortMapping(target: 80, hostIP: "127.0.0.1")])
    }

    @Test func protocols() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - 8080:80/udp
                  - 53/UDP
                  - 9000:9000/sctp
            """
        #expect(
            try fieldYAML(yaml, "ports") == """
                - mode: ingress
                  target: 80
                  published: "8080"
                  protocol: udp
                - mode: ingress
                  target: 53
                  protocol: udp
                - mode: ingress
                  target: 9000
                  published: "9000"
                  protocol: sctp

                """)
        #expect(try typedService(try loadYAML(yaml)).ports.map(\.protocol) == [.udp, .udp, .sctp])
    }

    @Test func rangeToRangeExpandsOnePerPort() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - 3000-3002:4000-4002
            """
        #expect(
            try fieldYAML(yaml, "ports") == """
                - mode: ingress
                  target: 4000
                  published: "3000"
                  protocol: tcp
                - mode: ingress
                  target: 4001
                  published: "3001"
                  protocol: tcp
                - mode: ingress
                  target: 4002
                  published: "3002"
                  protocol: tcp

                """)
        #expect(
            try typedService(try loadYAML(yaml)).ports == [
                PortMapping(target: 4000, published: "3000"),
                PortMapping(target: 4001, published: "3001"),
                PortMapping(target: 4002, published: "3002"),
            ])
    }

    @Test func hostRangeToOnePortStaysOneEntry() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - 8000-8010:80
            """
        #expect(
            try fieldYAML(yaml, "ports") == """
                - mode: ingress
                  target: 80
                  published: 8000-8010
                  protocol: tcp

                """)
        #expect(try typedService(try loadYAML(yaml)).ports == [PortMapping(target: 80, published: "8000-8010")])
    }

    @Test func containerRangeWithoutHost() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - 3000-3002
            """
        #expect(
            try typedService(try loadYAML(yaml)).ports == [
                PortMapping(target: 3000), PortMapping(target: 3001), PortMapping(target: 3002),
            ])
    }

    @Test func longForm() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - target: 80
                    published: "8080"
                    host_ip: 127.0.0.1
                    protocol: udp
                    mode: host
                    name: http
                    app_protocol: http
                  - target: 443
                    published: 8443
                  - target: 9000
            """
        #expect(
            try fieldYAML(yaml, "ports") == """
                - mode: host
                  host_ip: 127.0.0.1
                  target: 80
                  published: "8080"
                  protocol: udp
                  app_protocol: http
                  name: http
                - mode: ingress
                  target: 443
                  published: "8443"
                  protocol: tcp
                - mode: ingress
                  target: 9000
                  protocol: tcp

                """)
        #expect(
            try typedService(try loadYAML(yaml)).ports == [
                PortMapping(target: 80, published: "8080", hostIP: "127.0.0.1", protocol: .udp, mode: "host"),
                PortMapping(target: 443, published: "8443"),
                PortMapping(target: 9000),
            ])
        try expectRoundTrip(yaml)
    }

    @Test func longFormPublishedRange() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ports:
                  - target: 80
                    published: 8000-8010
            """
        #expect(try typedService(try loadYAML(yaml)).ports == [PortMapping(target: 80, published: "8000-8010")])
    }

    // MARK: - Errors

    @Test func containerPortOutOfRange() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - 70000
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: "70000" is not a valid port: the container port must be 1-65535 (or a range like 3000-3005)
                    """)
    }

    @Test func hostPortOutOfRange() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - "70000:80"
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: "70000:80" is not a valid port: the host port must be 0-65535 (or a range like 8000-8010)
                    """)
    }

    @Test func notANumber() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - abc
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: "abc" is not a valid port: the container port must be 1-65535 (or a range like 3000-3005)
                    """)
    }

    @Test func mismatchedRanges() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - 3000-3002:4000-4001
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: "3000-3002:4000-4001": the host side has 3 ports but the container side has 2 ports; they must match
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - 8080:80-81
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: "8080:80-81": the host side has 1 port but the container side has 2 ports; they must match
                    """)
    }

    @Test func unknownProtocol() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - 8080:80/tcpx
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: unknown protocol "tcpx" in "8080:80/tcpx" (tcp, udp or sctp)
                    """)
    }

    @Test func badHostAddress() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - 300.0.0.1:8080:80
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: "300.0.0.1" in "300.0.0.1:8080:80" is not an IP address
                    """)
    }

    @Test func longFormErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports:
                      - published: 8080
                      - target: 0
                      - target: 80
                        published: 99999
                      - target: 80
                        protocol: icmp
                      - target: 80
                        mode: bridge
                      - target: 80
                        hostip: 127.0.0.1
                """) == """
                    compose.yaml:5:9: services.web.ports[0]: a port needs a "target"
                    compose.yaml:6:17: services.web.ports[1].target: 0 is out of range (1-65535)
                    compose.yaml:8:20: services.web.ports[2].published: "99999" is not a port or range (0-65535)
                    compose.yaml:10:19: services.web.ports[3].protocol: unknown protocol "icmp" (tcp, udp or sctp)
                    compose.yaml:12:15: services.web.ports[4].mode: must be "host" or "ingress", not "bridge"
                    compose.yaml:14:9: services.web.ports[5].hostip: unknown key "hostip"; did you mean "host_ip"?
                    """)
    }

    @Test func notAList() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ports: "80:80"
                """) == """
                    compose.yaml:4:12: services.web.ports: must be a list of ports, not a string
                    """)
    }
}
