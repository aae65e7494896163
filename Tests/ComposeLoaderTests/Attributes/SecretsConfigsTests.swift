import BerthModel
import ComposeLoader
import Testing

/// Top-level `secrets`/`configs` and the services' references to them.
@Suite struct SecretsConfigsTests {
    @Test func topLevelSources() throws {
        let sandbox = YAMLSandbox()
        let yaml = """
            services:
              web:
                image: nginx
            secrets:
              db_password:
                file: ./secrets/db.txt
              api_key:
                environment: API_KEY
              shared:
                external: true
              renamed:
                name: prod-token
                file: /run/token
            configs:
              nginx:
                file: nginx.conf
                labels:
                  role: proxy
              inline:
                content: |
                  listen 80;
                  server_name example.com;
              from_env:
                environment: APP_CONFIG
            """
        let loaded = try sandbox.load(yaml)
        #expect(
            Emitter.yaml(loaded.canonical["secrets"] ?? .null()) == """
                api_key:
                  environment: API_KEY
                  name: test_api_key
                db_password:
                  file: \(sandbox.directory)/secrets/db.txt
                  name: test_db_password
                renamed:
                  file: /run/token
                  name: prod-token
                shared:
                  external: true
                  name: shared

                """)
        #expect(
            Emitter.yaml(loaded.canonical["configs"] ?? .null()) == """
                from_env:
                  environment: APP_CONFIG
                  name: test_from_env
                inline:
                  content: "listen 80;\\nserver_name example.com;\\n"
                  name: test_inline
                nginx:
                  file: \(sandbox.directory)/nginx.conf
                  labels:
                    role: proxy
                  name: test_nginx

                """)
        #expect(
            loaded.project.secrets == [
                "db_password": FileObject(
                    name: "test_db_password", source: .file("\(sandbox.directory)/secrets/db.txt")),
                "api_key": FileObject(name: "test_api_key", source: .environment("API_KEY")),
                "shared": FileObject(name: "shared", source: .external),
                "renamed": FileObject(name: "prod-token", source: .file("/run/token")),
            ])
        #expect(
            loaded.project.configs == [
                "nginx": FileObject(
                    name: "test_nginx", source: .file("\(sandbox.directory)/nginx.conf"), labels: ["role": "proxy"]),
                "inline": FileObject(name: "test_inline", source: .content("listen 80;\nserver_name example.com;\n")),
                "from_env": FileObject(name: "test_from_env", source: .environment("APP_CONFIG")),
            ])
        try expectRoundTrip(yaml)
    }

    @Test func serviceReferences() throws {
        let yaml = """
            services:
              web:
                image: nginx
                secrets:
                  - db_password
                  - source: api_key
                    target: /etc/api.key
                    uid: "103"
                    gid: 103
                    mode: 0440
                configs:
                  - nginx
                  - source: nginx
                    target: /etc/nginx/nginx.conf
                    mode: "0o644"
            secrets:
              db_password:
                file: /run/db
              api_key:
                environment: API_KEY
            configs:
              nginx:
                content: x
            """
        #expect(
            try fieldYAML(yaml, "secrets") == """
                - source: db_password
                - gid: "103"
                  mode: "0440"
                  source: api_key
                  target: /etc/api.key
                  uid: "103"

                """)
        let web = try typedService(try loadYAML(yaml))
        #expect(
            web.secrets == [
                FileReference(source: "db_password"),
                FileReference(source: "api_key", target: "/etc/api.key", uid: "103", gid: "103", mode: 0o440),
            ])
        #expect(
            web.configs == [
                FileReference(source: "nginx"),
                FileReference(source: "nginx", target: "/etc/nginx/nginx.conf", mode: 0o644),
            ])
        try expectRoundTrip(yaml)
    }

    @Test func undefinedReferences() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    secrets:
                      - db_pasword
                    configs:
                      - source: nginx
                secrets:
                  db_password:
                    file: /run/db
                """) == """
                    compose.yaml:5:9: services.web.secrets[0]: secret "db_pasword" is not defined; did you mean "db_password"?
                    compose.yaml:7:9: services.web.configs[0]: config "nginx" is not defined
                    """)
    }

    @Test func referenceErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    secrets:
                      - target: /x
                      - source: s
                        mode: 0999
                        owner: me
                secrets:
                  s:
                    file: /run/s
                """) == """
                    compose.yaml:5:9: services.web.secrets[0]: needs a "source"
                    compose.yaml:8:9: services.web.secrets[1].owner: unknown key "owner"
                    compose.yaml:7:15: services.web.secrets[1].mode: must be an octal file mode like 0440
                    """)
    }

    @Test func topLevelErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                secrets:
                  none:
                    labels:
                      a: b
                  both:
                    file: /a
                    environment: B
                  content:
                    content: only configs take content
                configs:
                  c:
                    file: /a
                    content: b
                """) == """
                    compose.yaml:6:5: secrets.none: a secret needs one of file, environment or external
                    compose.yaml:9:5: secrets.both: a secret takes only one of file, environment and external
                    compose.yaml:12:5: secrets.content.content: unknown key "content"
                    compose.yaml:15:5: configs.c: a config takes only one of file, environment, content and external
                    """)
    }
}
