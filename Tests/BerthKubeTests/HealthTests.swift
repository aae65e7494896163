import BerthKube
import Testing

/// Healthchecks as probes, depends_on as init containers.
@Suite("Kube health and start order")
struct KubeHealthTests {
    static let appSpec = """
            spec:
              serviceAccountName: berth-job-waiter
              initContainers:
              - name: wait-for-cache
                image: "busybox:1.36"
                command:
                - sh
                - "-c"
                - "until nc -z -w 2 cache 6379; do echo waiting for cache:6379; sleep 2; done"
              - name: wait-for-db
                image: "busybox:1.36"
                command:
                - sh
                - "-c"
                - "until nc -z -w 2 db 5432; do echo waiting for db:5432; sleep 2; done"
              - name: wait-for-migrate
                image: "bitnami/kubectl:1.30"
                command:
                - kubectl
                - wait
                - "--for=condition=complete"
                - "--timeout=-1s"
                - job/migrate
              containers:
              - name: app
                image: "example/app:1"

        """

    static let compose = """
        services:
          db:
            image: postgres:16
            expose: ["5432"]
            healthcheck:
              test: ["CMD-SHELL", "pg_isready -U postgres"]
              interval: 2s
              timeout: 1s
              retries: 15
              start_period: 30s
              start_interval: 1s
          cache:
            image: redis:7
            expose: ["6379"]
            healthcheck:
              test: ["CMD", "redis-cli", "ping"]
            x-berth:
              restart_on_unhealthy: false
          quiet:
            image: busybox
            healthcheck:
              disable: true
          migrate:
            image: example/app:1
            restart: "no"
            depends_on:
              db:
                condition: service_healthy
          app:
            image: example/app:1
            depends_on:
              db:
                condition: service_healthy
              cache:
                condition: service_started
              migrate:
                condition: service_completed_successfully
        """

    /// The part of a workload from its containers on.
    static func containers(_ yaml: String?) -> String {
        guard let yaml, let start = yaml.range(of: "      containers:\n") else { return "" }
        return String(yaml[start.lowerBound...])
    }

    @Test(
        "CMD-SHELL runs through sh -c; interval, timeout and retries set both probes; start_period adds a startup probe"
    )
    func probes() throws {
        let result = try KubeFixture.generate(Self.compose)
        #expect(
            Self.containers(KubeFixture.object(result, "Deployment", "db")) == """
                      containers:
                      - name: db
                        image: "postgres:16"
                        ports:
                        - containerPort: 5432
                          protocol: TCP
                        readinessProbe:
                          exec:
                            command:
                            - sh
                            - "-c"
                            - "pg_isready -U postgres"
                          failureThreshold: 15
                          periodSeconds: 2
                          timeoutSeconds: 1
                        livenessProbe:
                          exec:
                            command:
                            - sh
                            - "-c"
                            - "pg_isready -U postgres"
                          failureThreshold: 15
                          periodSeconds: 2
                          timeoutSeconds: 1
                        startupProbe:
                          exec:
                            command:
                            - sh
                            - "-c"
                            - "pg_isready -U postgres"
                          failureThreshold: 45
                          periodSeconds: 1
                          timeoutSeconds: 1

                """)
    }

    @Test(
        "CMD runs as exec with docker's defaults; restart_on_unhealthy: false leaves only readiness; disable: true none"
    )
    func readinessOnly() throws {
        let result = try KubeFixture.generate(Self.compose)
        #expect(
            Self.containers(KubeFixture.object(result, "Deployment", "cache")) == """
                      containers:
                      - name: cache
                        image: "redis:7"
                        ports:
                        - containerPort: 6379
                          protocol: TCP
                        readinessProbe:
                          exec:
                            command:
                            - redis-cli
                            - ping
                          failureThreshold: 3
                          periodSeconds: 30
                          timeoutSeconds: 30

                """)
        #expect(
            Self.containers(KubeFixture.object(result, "Deployment", "quiet")) == """
                      containers:
                      - name: quiet
                        image: busybox

                """)
    }

    @Test("depends_on waits in init containers: for a port, or for a Job under a ServiceAccount that may read Jobs")
    func initContainers() throws {
        let result = try KubeFixture.generate(Self.compose)
        let app = try #require(KubeFixture.object(result, "Deployment", "app"))
        #expect(
            app.hasSuffix(
                Self.appSpec))
        #expect(
            KubeFixture.object(result, "Role", "berth-job-waiter") == """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: Role
                metadata:
                  name: berth-job-waiter
                  labels:
                    com.docker.compose.project: demo
                rules:
                - apiGroups:
                  - batch
                  resources:
                  - jobs
                  verbs:
                  - get
                  - list
                  - watch

                """)
        #expect(
            KubeFixture.object(result, "RoleBinding", "berth-job-waiter") == """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata:
                  name: berth-job-waiter
                  labels:
                    com.docker.compose.project: demo
                roleRef:
                  apiGroup: rbac.authorization.k8s.io
                  kind: Role
                  name: berth-job-waiter
                subjects:
                - kind: ServiceAccount
                  name: berth-job-waiter

                """)
        #expect(result.objects.contains { $0.kind == "ServiceAccount" && $0.name == "berth-job-waiter" })
        #expect(result.objects.contains { $0.kind == "Job" && $0.name == "migrate" })
        #expect(result.warnings.isEmpty, "\(result.warnings)")
    }

    @Test("the wait image is an option")
    func waitImage() throws {
        var options = KubeOptions()
        options.waitImage = "registry.example/busybox:1"
        let result = try KubeFixture.generate(Self.compose, options: options)
        #expect(KubeFixture.object(result, "Job", "migrate")?.contains("image: \"registry.example/busybox:1\"") == true)
    }
}
