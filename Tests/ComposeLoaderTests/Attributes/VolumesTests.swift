import BerthModel
import ComposeLoader
import Testing

/// Service `volumes:` (mounts). Top-level `volumes:` are in TopLevelVolumesTests.
@Suite struct VolumesTests {
    @Test func namedVolume() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - data:/data
            volumes:
              data:
            """
        #expect(
            try fieldYAML(yaml, "volumes") == """
                - type: volume
                  source: data
                  target: /data

                """)
        #expect(try typedService(try loadYAML(yaml)).volumes == [Mount(type: .volume, source: "data", target: "/data")])
    }

    @Test func aShortVolumesTargetIsCleanedAsComposeGoCleansIt() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - data:/var/www/html/
                  - /srv//site/./:/site/../usr/share//
                  - /cache/
            volumes:
              data:
            """
        let targets = try typedService(try loadYAML(yaml)).volumes.map(\.target)
        #expect(targets == ["/var/www/html", "/usr/share", "/cache"])
    }

    @Test func relativeBindIsMadeAbsolute() throws {
        let sandbox = YAMLSandbox()
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - ./data:/data
                  - ../up/./x:/x
            """
        let loaded = try sandbox.load(yaml)
        let parent = YAMLSandbox.parent(of: sandbox.directory)
        #expect(
            Emitter.yaml(loaded.canonical["services"]?["web"]?["volumes"] ?? .null()) == """
                - type: bind
                  source: \(sandbox.directory)/data
                  target: /data
                  bind:
                    create_host_path: true
                - type: bind
                  source: \(parent)/up/x
                  target: /x
                  bind:
                    create_host_path: true

                """)
        #expect(
            try typedService(loaded).volumes == [
                Mount(type: .bind, source: "\(sandbox.directory)/data", target: "/data"),
                Mount(type: .bind, source: "\(parent)/up/x", target: "/x"),
            ])
    }

    @Test func homeBindUsesHOMEFromTheEnvironment() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - ~/cache:/cache
                  - ~:/home
            """
        let web = try typedService(try loadYAML(yaml, environment: ["HOME": "/users/ann"]))
        #expect(web.volumes.map(\.source) == ["/users/ann/cache", "/users/ann"])
        #expect(web.volumes.map(\.type) == [.bind, .bind])
    }

    @Test func absoluteBind() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - /var/run/docker.sock:/var/run/docker.sock
                  - /srv//a/../b:/b
            """
        #expect(
            try fieldYAML(yaml, "volumes") == """
                - type: bind
                  source: /var/run/docker.sock
                  target: /var/run/docker.sock
                  bind:
                    create_host_path: true
                - type: bind
                  source: /srv/b
                  target: /b
                  bind:
                    create_host_path: true

                """)
    }

    @Test func anonymousVolume() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - /data
            """
        #expect(
            try fieldYAML(yaml, "volumes") == """
                - type: volume
                  target: /data

                """)
        #expect(try typedService(try loadYAML(yaml)).volumes == [Mount(type: .volume, source: nil, target: "/data")])
    }

    @Test func accessModes() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - data:/ro:ro
                  - data:/rw:rw
                  - /host:/sel:z
                  - /host:/sel2:Z,ro
                  - /host:/prop:rshared
                  - data:/nc:nocopy
            volumes:
              data: {}
            """
        #expect(
            try fieldYAML(yaml, "volumes") == """
                - type: volume
                  source: data
                  target: /ro
                  read_only: true
                - type: volume
                  source: data
                  target: /rw
                - type: bind
                  source: /host
                  target: /sel
                  bind:
                    create_host_path: true
                    selinux: z
                - type: bind
                  source: /host
                  target: /sel2
                  read_only: true
                  bind:
                    create_host_path: true
                    selinux: Z
                - type: bind
                  source: /host
                  target: /prop
                  bind:
                    create_host_path: true
                    propagation: rshared
                - type: volume
                  source: data
                  target: /nc
                  volume:
                    nocopy: true

                """)
        let volumes = try typedService(try loadYAML(yaml)).volumes
        #expect(volumes.map(\.readOnly) == [true, false, false, true, false, false])
        #expect(volumes[2].selinux == "z")
        #expect(volumes[4].propagation == "rshared")
        #expect(volumes[5].nocopy)
    }

    @Test func longFormBindVolumeTmpfs() throws {
        let sandbox = YAMLSandbox()
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - type: bind
                    source: ./conf
                    target: /etc/conf
                    read_only: true
                    bind:
                      propagation: rprivate
                      create_host_path: false
                  - type: volume
                    source: data
                    target: /data
                    volume:
                      nocopy: true
                      subpath: sub
                  - type: tmpfs
                    target: /scratch
                    tmpfs:
                      size: 64m
                      mode: 1777
            volumes:
              data:
            """
        let loaded = try sandbox.load(yaml)
        #expect(
            Emitter.yaml(loaded.canonical["services"]?["web"]?["volumes"] ?? .null()) == """
                - type: bind
                  source: \(sandbox.directory)/conf
                  target: /etc/conf
                  read_only: true
                  bind:
                    create_host_path: false
                    propagation: rprivate
                - type: volume
                  source: data
                  target: /data
                  volume:
                    nocopy: true
                    subpath: sub
                - type: tmpfs
                  target: /scratch
                  tmpfs:
                    mode: "01777"
                    size: 67108864

                """)
        var data = Mount(type: .volume, source: "data", target: "/data", nocopy: true)
        data.subpath = "sub"
        #expect(
            try typedService(loaded).volumes == [
                Mount(
                    type: .bind, source: "\(sandbox.directory)/conf", target: "/etc/conf", readOnly: true,
                    createHostPath: false,
                    propagation: "rprivate"),
                data,
                Mount(type: .tmpfs, source: nil, target: "/scratch", tmpfsSize: 67_108_864, tmpfsMode: 0o1777),
            ])
    }

    @Test func tmpfsSizeInBytesAndRoundTrip() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - type: tmpfs
                    target: /scratch
                    tmpfs:
                      size: 1048576
                      mode: "0700"
            """
        let volume = try #require(try typedService(try loadYAML(yaml)).volumes.first)
        #expect(volume.tmpfsSize == 1_048_576)
        #expect(volume.tmpfsMode == 0o700)
        try expectRoundTrip(yaml)
    }

    @Test func canonicalFormReadsBack() throws {
        try expectRoundTrip(
            """
            services:
              web:
                image: nginx
                volumes:
                  - data:/data:ro,nocopy
                  - ./src:/src:z
                  - /anon
                  - type: tmpfs
                    target: /t
                    tmpfs:
                      size: 1g
                      mode: 1777
            volumes:
              data:
            """)
    }

    // MARK: - Errors

    @Test func undefinedNamedVolume() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes:
                      - dat:/data
                volumes:
                  data:
                """) == """
                    compose.yaml:5:9: services.web.volumes[0]: volume "dat" is not defined; did you mean "data"?
                    """)
    }

    @Test func slashInANameIsNotABindPath() {
        // `a/b` does not start with `.`, `/` or `~`, so it is a volume name, and an invalid one.
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes:
                      - a/b:/data
                """) == """
                    compose.yaml:5:9: services.web.volumes[0]: "a/b" is not a valid name: use letters, digits, "_", "." and "-", starting with a letter or digit
                    """)
    }

    @Test func relativeTarget() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes:
                      - ./data:data
                      - relative
                """) == """
                    compose.yaml:5:9: services.web.volumes[0]: "./data:data": the path inside the container ("data") must be absolute
                    compose.yaml:6:9: services.web.volumes[1]: "relative": the path inside the container must be absolute
                    """)
    }

    @Test func unknownOption() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes:
                      - ./data:/data:rx
                """) == """
                    compose.yaml:5:9: services.web.volumes[0]: unknown volume option "rx" in "./data:/data:rx" (ro, rw, z, Z, nocopy, or a propagation)
                    """)
    }

    @Test func twoMountsOnOneTarget() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    tmpfs: /run
                    volumes:
                      - data:/data
                      - ./other:/data
                      - type: tmpfs
                        target: /run
                volumes:
                  data:
                """) == """
                    compose.yaml:7:9: services.web.volumes[1]: /data is already mounted by services.web.volumes[0]
                    compose.yaml:8:9: services.web.volumes[2]: /run is already mounted by services.web.tmpfs[0]
                    """)
    }

    @Test func tooManyParts() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes:
                      - ./a:/b:ro:extra
                """) == """
                    compose.yaml:5:9: services.web.volumes[0]: "./a:/b:ro:extra" must be TARGET, SOURCE:TARGET or SOURCE:TARGET:MODE
                    """)
    }

    @Test func longFormErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes:
                      - source: data
                        target: /data
                      - type: disk
                        target: /d
                      - type: bind
                        target: /b
                      - type: volume
                        source: data
                      - type: tmpfs
                        target: /t
                        tmpfs:
                          size: 12q
                          mode: 999
                      - type: volume
                        source: data
                        target: rel
                volumes:
                  data:
                """) == """
                    compose.yaml:5:9: services.web.volumes[0]: a volume needs a "type" (volume, bind, tmpfs, image or npipe)
                    compose.yaml:7:15: services.web.volumes[1].type: unknown volume type "disk" (volume, bind, tmpfs, image or npipe)
                    compose.yaml:9:9: services.web.volumes[2]: a bind mount needs a "source"
                    compose.yaml:11:9: services.web.volumes[3]: a volume needs a "target"
                    compose.yaml:16:17: services.web.volumes[4].tmpfs.size: "12q" is not a size (write it like 512m, 1g or 1048576)
                    compose.yaml:17:17: services.web.volumes[4].tmpfs.mode: must be an octal file mode like 1777
                    compose.yaml:20:17: services.web.volumes[5].target: "rel": the path inside the container must be absolute
                    """)
    }
}
