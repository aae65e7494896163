import BerthModel
import Testing

@testable import ComposeLoader

/// `build:`: every key docker compose's build reads reaches the model, or
/// is recorded as not applied for `up` and `build` to warn about.
struct BuildKeysTests {
    @Test func theLongFormReachesTheModel() throws {
        let sandbox = YAMLSandbox()
        let loaded = try sandbox.load(
            """
            services:
              web:
                build:
                  context: app
                  dockerfile_inline: |
                    FROM busybox
                    RUN true
                  target: final
                  args: [VERSION=1.2]
                  labels: [org.example.team=core, "org.example.empty="]
                  no_cache: true
                  pull: true
                  tags: ["example/web:1.2", "example/web:latest"]
                  secrets:
                    - token
                    - source: npmrc
                      target: npm
                  network: host
                  extra_hosts: ["db:10.0.0.2", "cache=10.0.0.3"]
                  shm_size: 64m
                  ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
            secrets:
              token:
                file: ./token.txt
              npmrc:
                environment: NPM_TOKEN
            """, environment: ["NPM_TOKEN": "t0k"])
        let build = try #require(try typedService(loaded).build)
        #expect(build.context == sandbox.directory + "/app")
        #expect(build.dockerfileInline == "FROM busybox\nRUN true\n")
        #expect(build.dockerfile == nil)
        #expect(build.target == "final")
        #expect(build.args == ["VERSION": "1.2"])
        #expect(build.labels == ["org.example.team": "core", "org.example.empty": ""])
        #expect(build.noCache && build.pull)
        #expect(build.tags == ["example/web:1.2", "example/web:latest"])
        #expect(build.secrets == [FileReference(source: "token"), FileReference(source: "npmrc", target: "npm")])
        #expect(build.network == "host")
        #expect(build.extraHosts == ["db=10.0.0.2", "cache=10.0.0.3"])
        #expect(build.shmSize == 64 << 20)
        #expect(build.ulimits == ["nofile": Ulimit(soft: 1024, hard: 2048), "nproc": Ulimit(soft: 512, hard: 512)])
        #expect(try typedService(loaded).unapplied == nil, "build.ulimits is applied")
    }

    @Test func theRequestCarriesEveryKeyAndReadsTheSecrets() throws {
        let sandbox = YAMLSandbox()
        let loaded = try sandbox.load(
            """
            services:
              web:
                build:
                  context: .
                  labels: {a: b}
                  tags: [extra:1]
                  secrets: [token, {source: npmrc, target: npm}]
                  extra_hosts: ["db:10.0.0.2"]
                  shm_size: 1k
                  network: none
                  ulimits: {nofile: 10}
                  additional_contexts: ["base=docker-image://busybox:1.36"]
            secrets:
              token:
                file: ./token.txt
              npmrc:
                environment: NPM_TOKEN
            """, environment: ["NPM_TOKEN": "t0k"])
        let build = try #require(try typedService(loaded).build)
        let request = try build.request(tags: ["test-web"], secrets: loaded.project.secrets)
        #expect(request.tags == ["test-web", "extra:1"])
        #expect(request.labels == ["a": "b"])
        #expect(request.secrets == ["token": sandbox.directory + "/token.txt"])
        #expect(request.secretValues == ["npm": "t0k"])
        #expect(request.extraHosts == ["db=10.0.0.2"])
        #expect(request.shmSize == 1024)
        #expect(request.network == "none")
        #expect(request.ulimits == ["nofile=10:10"])
        #expect(request.namedImages == ["base": "busybox:1.36"])
        #expect(try typedService(loaded).unapplied == nil, "build.ulimits is applied")
    }

    @Test func aSecretFromAnUnsetVariableFailsTheBuildByName() throws {
        let loaded = try loadYAML(
            """
            services:
              web:
                build: {context: ., secrets: [npmrc]}
            secrets:
              npmrc:
                environment: NPM_TOKEN
            """)
        let build = try #require(try typedService(loaded).build)
        #expect(throws: BerthError.self) { try build.request(tags: [], secrets: loaded.project.secrets) }
        do {
            _ = try build.request(tags: [], secrets: loaded.project.secrets)
        } catch {
            #expect(error.message == "build secret npmrc: the variable NPM_TOKEN is not set")
        }
    }

    @Test func anUndeclaredBuildSecretIsNamedWhereItIs() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    build:
                      context: .
                      secrets:
                        - tokn
                secrets:
                  token:
                    file: ./token.txt
                """)
                    == """
                    compose.yaml:6:11: services.web.build.secrets[0]: secret "tokn" is not defined; did you mean "token"?
                    """)
    }

    @Test func aWrongValueIsNamedWhereItIs() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    build:
                      context: .
                      no_cache: sometimes
                """
            ).hasPrefix("compose.yaml:5:17: services.web.build.no_cache: "))
    }

    @Test func whatIsNotAppliedIsRecordedForTheWarning() throws {
        let web = try typedService(
            try loadYAML(
                """
                services:
                  web:
                    build:
                      context: .
                      cache_from: [type=local,src=/tmp/c]
                      cache_to: [type=inline]
                      platforms: [linux/amd64, linux/arm64, linux/arm64/v8, linux/x86_64]
                      privileged: true
                      isolation: hyperv
                      provenance: true
                      sbom: true
                      ssh: [default]
                      entitlements: [network.host]
                      additional_contexts: {assets: ../assets}
                      secrets: [{source: token, uid: "1000", gid: "1000", mode: 0400}]
                secrets:
                  token:
                    file: ./token.txt
                """))
        #expect(
            web.unapplied == [
                "build.additional_contexts.*", "build.cache_from", "build.cache_to", "build.entitlements",
                "build.isolation", "build.platforms[]", "build.privileged: true", "build.provenance",
                "build.sbom", "build.secrets[].gid", "build.secrets[].mode", "build.secrets[].uid", "build.ssh",
            ])
    }

    @Test func theHostsPlatformAloneAndPrivilegedFalseAreApplied() throws {
        #if arch(arm64)
        let host = "linux/arm64"
        #else
        let host = "linux/amd64"
        #endif
        let web = try typedService(
            try loadYAML(
                """
                services:
                  web:
                    build: {context: ., platforms: [\(host)], privileged: false}
                """))
        #expect(web.unapplied == nil)
    }
}
