import BerthKube
import Testing

/// Environment, secrets and configs.
@Suite("Kube environment, secrets and configs")
struct KubeFileTests {
    static let filesMounts = """
                image: "example/app:1"
                volumeMounts:
                - mountPath: /run/secrets/db_password
                  name: secret-db-password
                  readOnly: true
                  subPath: db_password
                - mountPath: /etc/app/token
                  name: secret-api-token-400
                  readOnly: true
                  subPath: api_token
                - mountPath: /app_conf
                  name: config-app-conf
                  readOnly: true
                  subPath: app_conf
                - mountPath: /etc/motd
                  name: config-motd-444
                  readOnly: true
                  subPath: motd
              volumes:
              - name: secret-db-password
                secret:
                  secretName: db-password
              - name: secret-api-token-400
                secret:
                  defaultMode: 256
                  secretName: api-token
              - name: config-app-conf
                configMap:
                  name: app-conf
              - name: config-motd-444
                configMap:
                  defaultMode: 292
                  name: motd

        """

    static let filesCompose = """
        services:
          app:
            image: example/app:1
            secrets:
              - db_password
              - source: api_token
                target: /etc/app/token
                mode: 0400
            configs:
              - app_conf
              - source: motd
                target: /etc/motd
                mode: 0444
        secrets:
          db_password:
            file: ./db_password.txt
          api_token:
            environment: API_TOKEN
        configs:
          app_conf:
            content: |
              listen = 8080
          motd:
            file: ./missing.txt
        """

    @Test("environment is sorted, unset variables are left out, and $ keeps its meaning against Kubernetes' $(VAR)")
    func environment() throws {
        let result = try KubeFixture.generate(
            """
            services:
              app:
                image: example/app:1
                environment:
                  GREETING: "cost $$5 (or $$(price))"
                  EMPTY: ""
                  UNSET:
            """)
        let deployment = try #require(KubeFixture.object(result, "Deployment", "app"))
        #expect(
            deployment.hasSuffix(
                """
                        env:
                        - name: EMPTY
                          value: ""
                        - name: GREETING
                          value: "cost $5 (or $$(price))"

                """))
    }

    @Test("more than 32 variables move to a ConfigMap read with envFrom")
    func largeEnvironment() throws {
        let variables = (1...33).map { "      V\($0 < 10 ? "0" : "")\($0): \"\($0)\"" }.joined(separator: "\n")
        let result = try KubeFixture.generate(
            """
            services:
              app:
                image: example/app:1
                environment:
            \(variables)
            """)
        let map = try #require(KubeFixture.object(result, "ConfigMap", "app-env"))
        #expect(
            map.hasPrefix(
                """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: app-env
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.service: app
                data:
                  V01: "1"
                  V02: "2"

                """))
        #expect(map.hasSuffix("  V33: \"33\"\n"))
        #expect(
            KubeFixture.object(result, "Deployment", "app")?.hasSuffix(
                """
                        image: "example/app:1"
                        envFrom:
                        - configMapRef:
                            name: app-env

                """) == true)
    }

    @Test("secrets become Secrets at /run/secrets or their target, configs ConfigMaps at their target, with modes")
    func secretsAndConfigs() throws {
        let result = try KubeFixture.generate(
            Self.filesCompose, files: ["db_password.txt": "s3cret\n"], environment: ["API_TOKEN": "tok123"])
        #expect(
            KubeFixture.object(result, "Deployment", "app")?.hasSuffix(
                Self.filesMounts) == true)
        #expect(
            KubeFixture.object(result, "Secret", "db-password") == """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: db-password
                  labels:
                    com.docker.compose.project: demo
                data:
                  db_password: "czNjcmV0Cg=="
                type: Opaque

                """)
        #expect(KubeFixture.object(result, "Secret", "api-token")?.contains("  api_token: dG9rMTIz\n") == true)
        #expect(
            KubeFixture.object(result, "ConfigMap", "app-conf") == """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: app-conf
                  labels:
                    com.docker.compose.project: demo
                data:
                  app_conf: "listen = 8080\\n"

                """)
        #expect(KubeFixture.object(result, "ConfigMap", "motd")?.hasSuffix("data:\n  motd: \"\"\n") == true)
        #expect(
            result.warnings.filter { $0.hasPrefix("config motd") } == [
                "config motd: file \(result.directory)/missing.txt cannot be read; its ConfigMap \"motd\" is made "
                    + "empty: fill it with kubectl create configmap motd --from-file=motd=FILE"
            ])
    }
}
