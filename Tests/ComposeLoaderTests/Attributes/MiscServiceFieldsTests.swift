import BerthModel
import ComposeLoader
import Testing

/// The smaller service fields: stop_signal, stop_grace_period, ulimits, sysctls,
/// extra_hosts, dns, user, working_dir, hostname, init, read_only, cap_add/drop,
/// privileged, tmpfs, expose, network_mode, labels.
@Suite struct MiscServiceFieldsTests {
    @Test func stopSignalAndGracePeriod() throws {
        let yaml = """
            services:
              web:
                image: nginx
                stop_signal: SIGQUIT
                stop_grace_period: 1m30s
              api:
                image: app
                stop_signal: "15"
                stop_grace_period: 500ms
            """
        let loaded = try loadYAML(yaml)
        #expect(loaded.canonical["services"]?["web"]?["stop_grace_period"]?.scalarText == "1m30s")
        #expect(try typedService(loaded).stopSignal == "SIGQUIT")
        #expect(try typedService(loaded).stopGracePeriod == 90_000_000_000)
        #expect(try typedService(loaded, "api").stopSignal == "15")
        #expect(try typedService(loaded, "api").stopGracePeriod == 500_000_000)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    stop_signal: SIGNOPE
                    stop_grace_period: 10
                """) == """
                    compose.yaml:4:18: services.web.stop_signal: "SIGNOPE" is not a signal (write it like SIGTERM, SIGINT or 15)
                    compose.yaml:5:24: services.web.stop_grace_period: "10" is not a duration (write it like 10s, 1m30s or 500ms)
                    """)
    }

    @Test func ulimits() throws {
        let yaml = """
            services:
              web:
                image: nginx
                ulimits:
                  nproc: 65535
                  nofile:
                    soft: 20000
                    hard: 40000
            """
        #expect(
            try fieldYAML(yaml, "ulimits") == """
                nofile:
                  soft: 20000
                  hard: 40000
                nproc:
                  soft: 65535
                  hard: 65535

                """)
        #expect(
            try typedService(try loadYAML(yaml)).ulimits == [
                "nproc": Ulimit(soft: 65535, hard: 65535), "nofile": Ulimit(soft: 20000, hard: 40000),
            ])
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    ulimits:
                      nofile:
                        soft: 50000
                        hard: 40000
                      core:
                        soft: 1
                      nproc: lots
                """) == """
                    compose.yaml:6:9: services.web.ulimits.nofile: soft limit 50000 is above the hard limit 40000
                    compose.yaml:9:9: services.web.ulimits.core: needs both soft and hard
                    compose.yaml:10:14: services.web.ulimits.nproc: must be an integer, not "lots"
                    """)
    }

    /// `-` before `-9223372036854775808` would negate Int.min: the loader
    /// used to trap (crash with SIGILL) on it; it is an error like any other.
    @Test func integerThatCannotBeNegated() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    scale: "--9223372036854775808"
                    healthcheck:
                      retries: -0x-8000000000000000
                """) == """
                    compose.yaml:4:12: services.web.scale: must be an integer, not "--9223372036854775808"
                    compose.yaml:6:16: services.web.healthcheck.retries: must be an integer, not "-0x-8000000000000000"
                    """)
    }

    /// One sign at most, as YAML's core schema reads integers: `--5` and
    /// `+-5` are text (they used to read as 5 and -5).
    @Test func integerWithTwoSignsIsNotAnInteger() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    scale: --5
                    healthcheck:
                      retries: +-5
                """) == """
                    compose.yaml:4:12: services.web.scale: must be an integer, not "--5"
                    compose.yaml:6:16: services.web.healthcheck.retries: must be an integer, not "+-5"
                    """)
    }

    @Test func sysctls() throws {
        let list = """
            services:
              web:
                image: nginx
                sysctls:
                  - net.core.somaxconn=1024
                  - net.ipv4.tcp_syncookies=0
            """
        let map = """
            services:
              web:
                image: nginx
                sysctls:
                  net.core.somaxconn: 1024
                  net.ipv4.tcp_syncookies: 0
            """
        let expected = """
            net.core.somaxconn: "1024"
            net.ipv4.tcp_syncookies: "0"

            """
        #expect(try fieldYAML(list, "sysctls") == expected)
        #expect(try fieldYAML(map, "sysctls") == expected)
        #expect(
            try typedService(try loadYAML(map)).sysctls == [
                "net.core.somaxconn": "1024", "net.ipv4.tcp_syncookies": "0",
            ])
    }

    @Test func extraHosts() throws {
        let yaml = """
            services:
              web:
                image: nginx
                extra_hosts:
                  - somehost:162.242.195.82
                  - otherhost=50.31.209.229
                  - myhostv6=::1
                  - v6colon:[2001:db8::1]
                  - host.docker.internal:host-gateway
            """
        #expect(
            try fieldYAML(yaml, "extra_hosts") == """
                - somehost=162.242.195.82
                - otherhost=50.31.209.229
                - myhostv6=::1
                - v6colon=2001:db8::1
                - host.docker.internal=host-gateway

                """)
        let map = """
            services:
              web:
                image: nginx
                extra_hosts:
                  somehost: 162.242.195.82
                  multi: ["10.0.0.1", "10.0.0.2"]
                  v6: "[::1]"
            """
        #expect(
            try typedService(try loadYAML(map)).extraHosts == [
                "somehost=162.242.195.82", "multi=10.0.0.1", "multi=10.0.0.2", "v6=::1",
            ])
        // As compose-go: several addresses after one name, separated by commas.
        let commas = """
            services:
              web:
                image: nginx
                extra_hosts:
                  - "both=10.0.0.1,[::1]"
            """
        #expect(try typedService(try loadYAML(commas)).extraHosts == ["both=10.0.0.1", "both=::1"])
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    extra_hosts:
                      - nohost
                      - a:b=10.0.0.1
                """) == """
                    compose.yaml:5:9: services.web.extra_hosts[0]: "nohost" must be HOST=IP or HOST:IP
                    compose.yaml:6:9: services.web.extra_hosts[1]: "a:b" is not a host name
                    """)
    }

    @Test func dns() throws {
        let yaml = """
            services:
              web:
                image: nginx
                dns: 8.8.8.8
                dns_search: [example.com, example.org]
                dns_opt: [use-vc, "ndots:2"]
            """
        #expect(
            try fieldYAML(yaml, "dns") == """
                - 8.8.8.8

                """)
        let web = try typedService(try loadYAML(yaml))
        #expect(web.dns == ["8.8.8.8"])
        #expect(web.dnsSearch == ["example.com", "example.org"])
        #expect(web.dnsOptions == ["use-vc", "ndots:2"])
    }

    @Test func stringFields() throws {
        let yaml = """
            services:
              web:
                image: nginx
                user: 1000
                working_dir: /app
                hostname: web01
                domainname: example.com
                container_name: the-web
              api:
                image: app
                user: "1000:1000"
            """
        let canonical = try serviceYAML(yaml)
        #expect(
            canonical == """
                container_name: the-web
                domainname: example.com
                hostname: web01
                image: nginx
                networks:
                  default: null
                user: "1000"
                working_dir: /app

                """)
        let loaded = try loadYAML(yaml)
        let web = try typedService(loaded)
        #expect(web.user == "1000")
        #expect(web.workingDir == "/app")
        #expect(web.hostname == "web01")
        #expect(web.domainname == "example.com")
        #expect(web.containerName == "the-web")
        #expect(try typedService(loaded, "api").user == "1000:1000")
    }

    @Test func booleans() throws {
        let yaml = """
            services:
              web:
                image: nginx
                init: true
                read_only: "true"
                privileged: True
                tty: false
                stdin_open: FALSE
            """
        let canonical = try serviceYAML(yaml)
        #expect(
            canonical == """
                image: nginx
                init: true
                networks:
                  default: null
                privileged: true
                read_only: true
                stdin_open: false
                tty: false

                """)
        let web = try typedService(try loadYAML(yaml))
        #expect(web.`init` && web.readOnly && web.privileged && !web.tty && !web.stdinOpen)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    privileged: yes
                    init: 1
                """) == """
                    compose.yaml:4:17: services.web.privileged: must be true or false, not "yes"
                    compose.yaml:5:11: services.web.init: must be true or false, not "1"
                    """)
    }

    @Test func capabilities() throws {
        let yaml = """
            services:
              web:
                image: nginx
                cap_add: [NET_ADMIN, SYS_TIME]
                cap_drop:
                  - ALL
            """
        let web = try typedService(try loadYAML(yaml))
        #expect(web.capAdd == ["NET_ADMIN", "SYS_TIME"])
        #expect(web.capDrop == ["ALL"])
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    cap_add: NET_ADMIN
                """) == """
                    compose.yaml:4:14: services.web.cap_add: must be a list of strings, not a string
                    """)
    }

    @Test func tmpfs() throws {
        let yaml = """
            services:
              web:
                image: nginx
                tmpfs: /run
              api:
                image: app
                tmpfs:
                  - /run
                  - /tmp:size=64m,mode=1777
            """
        #expect(
            try fieldYAML(yaml, "tmpfs") == """
                - /run

                """)
        let loaded = try loadYAML(yaml)
        #expect(try typedService(loaded).tmpfs == ["/run"])
        #expect(try typedService(loaded, "api").tmpfs == ["/run", "/tmp:size=64m,mode=1777"])
    }

    @Test func expose() throws {
        let yaml = """
            services:
              web:
                image: nginx
                expose:
                  - "3000"
                  - 8000
                  - 9000-9002/udp
            """
        #expect(
            try fieldYAML(yaml, "expose") == """
                - "3000"
                - "8000"
                - 9000-9002/udp

                """)
        #expect(try typedService(try loadYAML(yaml)).expose == ["3000", "8000", "9000-9002/udp"])
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    expose:
                      - 0
                      - 80/icmp
                """) == """
                    compose.yaml:5:9: services.web.expose[0]: "0" is not a port or a port range (1-65535)
                    compose.yaml:6:9: services.web.expose[1]: unknown protocol "icmp" (tcp, udp or sctp)
                    """)
    }

    @Test func networkMode() throws {
        let yaml = """
            services:
              web:
                image: nginx
                network_mode: "service:vpn"
              vpn:
                image: vpn
              none:
                image: app
                network_mode: none
            """
        let loaded = try loadYAML(yaml)
        #expect(try typedService(loaded).networkMode == .service("vpn"))
        #expect(try typedService(loaded).networks == [])
        #expect(try typedService(loaded, "none").networkMode == .disabled)
        #expect(loaded.project.graph.startLevels == [["none", "vpn"], ["web"]])
    }

    @Test func everythingReadsBack() throws {
        try expectRoundTrip(
            """
            name: ignored-by-the-helper
            services:
              web:
                image: nginx:1.27
                command: nginx -g "daemon off;"
                entrypoint: null
                environment:
                  - A=1
                  - EMPTY=
                  - UNSET
                  - "HASH=a #b"
                  - "COLON=a: b"
                labels: [a=b, flag]
                ports: ["8080:80", "[::1]:9000-9001:9000-9001/udp", "3000"]
                expose: [80]
                volumes: [data:/data:ro, ./src:/src, /anon]
                tmpfs: /run
                healthcheck:
                  test: curl -f localhost
                  interval: 90s
                  retries: 2
                restart: on-failure:3
                stop_signal: SIGINT
                stop_grace_period: 2m
                ulimits: {nofile: 1024}
                sysctls: [net.core.somaxconn=1024]
                extra_hosts: ["db:10.0.0.2"]
                dns: 1.1.1.1
                user: "0"
                init: true
                cap_add: [ALL]
                mem_limit: 1.5g
                cpus: 0.25
                depends_on: [db]
                secrets: [{source: s, mode: 0400}]
                x-meta: {a: 1}
              db:
                image: postgres
                networks:
                  back:
                    aliases: [database]
            networks:
              back:
                ipam:
                  config:
                    - subnet: 10.5.0.0/16
            volumes:
              data:
            secrets:
              s:
                environment: S
            x-top: [1, "2"]
            """, environment: ["HOME": "/home/tester", "UNSET_NOT": "x"])
    }

    @Test func labels() throws {
        let yaml = """
            services:
              web:
                image: nginx
                labels:
                  com.example.description: "Accounting webapp"
                  com.example.release: 2
            """
        #expect(
            try typedService(try loadYAML(yaml)).labels == [
                "com.example.description": "Accounting webapp", "com.example.release": "2",
            ])
    }
}
