import BerthKube
import Testing

/// Which workload a service becomes, and its labels.
@Suite("Kube workloads")
struct KubeWorkloadTests {
    static let jobsCompose = """
        services:
          migrate:
            image: example/api:2
            command: ["/app/migrate", "up"]
            restart: "no"
          worker:
            image: example/worker:1
            restart: on-failure:4
          poller:
            image: example/worker:1
            restart: on-failure
          batch:
            image: example/worker:1
            x-berth:
              kube:
                kind: Job
        """

    static let statefulExpected = """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: db
          labels:
            com.docker.compose.project: demo
            com.docker.compose.service: db
        spec:
          replicas: 1
          selector:
            matchLabels:
              com.docker.compose.project: demo
              com.docker.compose.service: db
          serviceName: db
          template:
            metadata:
              labels:
                berth.networks/default: "true"
                com.docker.compose.project: demo
                com.docker.compose.service: db
            spec:
              containers:
              - name: db
                image: "postgres:16"
                volumeMounts:
                - mountPath: /var/lib/postgresql/data
                  name: db-data
                - mountPath: /shared
                  name: volume-shared
              volumes:
              - name: volume-shared
                persistentVolumeClaim:
                  claimName: shared
          volumeClaimTemplates:
          - metadata:
              name: db-data
            spec:
              accessModes:
              - ReadWriteOnce
              resources:
                requests:
                  storage: "20Gi"
              storageClassName: fast

        """

    static let statefulCompose = """
        services:
          db:
            image: postgres:16
            volumes:
              - db-data:/var/lib/postgresql/data
              - shared:/shared
            x-berth:
              kube:
                kind: StatefulSet
          backup:
            image: example/backup:1
            volumes:
              - shared:/shared:ro
        volumes:
          db-data:
            x-berth:
              kube:
                size: 20Gi
                storage_class: fast
          shared:
            labels:
              berth.kube.size: 5Gi
              berth.kube.access_mode: ReadWriteMany
        """

    @Test(
        "a long-running service is a Deployment with its replicas; labels that are not label syntax become annotations")
    func deployment() throws {
        let result = try KubeFixture.generate(
            """
            services:
              api:
                image: example/api:2
                deploy:
                  replicas: 3
                labels:
                  com.example.team: platform
                  traefik.http.routers.api.rule: Host(`api.example.com`)
                  "bad key!": x
                restart: always
            """)
        #expect(
            KubeFixture.object(result, "Deployment", "api") == """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: api
                  labels:
                    bad-key: x
                    com.docker.compose.project: demo
                    com.docker.compose.service: api
                    com.example.team: platform
                  annotations:
                    traefik.http.routers.api.rule: "Host(`api.example.com`)"
                spec:
                  replicas: 3
                  selector:
                    matchLabels:
                      com.docker.compose.project: demo
                      com.docker.compose.service: api
                  template:
                    metadata:
                      labels:
                        bad-key: x
                        berth.networks/default: "true"
                        com.docker.compose.project: demo
                        com.docker.compose.service: api
                        com.example.team: platform
                      annotations:
                        traefik.http.routers.api.rule: "Host(`api.example.com`)"
                    spec:
                      containers:
                      - name: api
                        image: "example/api:2"

                """)
        #expect(
            result.warnings == [
                "service api: attribute labels: \"bad key!\" is not a Kubernetes label key; it is written \"bad-key\""
            ])
    }

    @Test("restart: \"no\" and on-failure written in the file make Jobs; x-berth.kube.kind decides over it")
    func jobs() throws {
        let result = try KubeFixture.generate(
            Self.jobsCompose)
        #expect(result.objects.filter { $0.kind == "Job" }.map(\.name) == ["batch", "migrate", "poller", "worker"])
        #expect(
            KubeFixture.object(result, "Job", "migrate") == """
                apiVersion: batch/v1
                kind: Job
                metadata:
                  name: migrate
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.service: migrate
                spec:
                  backoffLimit: 0
                  template:
                    metadata:
                      labels:
                        berth.networks/default: "true"
                        com.docker.compose.project: demo
                        com.docker.compose.service: migrate
                    spec:
                      restartPolicy: Never
                      containers:
                      - name: migrate
                        image: "example/api:2"
                        args:
                        - /app/migrate
                        - up

                """)
        #expect(
            KubeFixture.object(result, "Job", "worker") == """
                apiVersion: batch/v1
                kind: Job
                metadata:
                  name: worker
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.service: worker
                spec:
                  backoffLimit: 4
                  template:
                    metadata:
                      labels:
                        berth.networks/default: "true"
                        com.docker.compose.project: demo
                        com.docker.compose.service: worker
                    spec:
                      restartPolicy: OnFailure
                      containers:
                      - name: worker
                        image: "example/worker:1"

                """)
        #expect(
            result.warnings == [
                "service poller: attribute restart: on-failure retries forever; a Job retries 6 times "
                    + "(backoffLimit's default) and then fails"
            ])
    }

    @Test("a service that another waits for with service_completed_successfully is a Job even without restart")
    func awaitedJob() throws {
        let result = try KubeFixture.generate(
            """
            services:
              seed:
                image: busybox
              web:
                image: busybox
                depends_on:
                  seed:
                    condition: service_completed_successfully
            """)
        #expect(result.objects.map { "\($0.kind)/\($0.name)" }.contains("Job/seed"))
        #expect(result.objects.map { "\($0.kind)/\($0.name)" }.contains("Deployment/web"))
    }

    @Test(
        "a StatefulSet claims its own volumes by template; a volume two services share stays a claim; sizes and classes come from x-berth.kube or labels"
    )
    func statefulSet() throws {
        let result = try KubeFixture.generate(
            Self.statefulCompose)
        #expect(
            KubeFixture.object(result, "StatefulSet", "db") == Self.statefulExpected)
        #expect(
            KubeFixture.object(result, "PersistentVolumeClaim", "shared") == """
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata:
                  name: shared
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.volume: shared
                spec:
                  accessModes:
                  - ReadWriteMany
                  resources:
                    requests:
                      storage: "5Gi"

                """)
        #expect(KubeFixture.object(result, "PersistentVolumeClaim", "db-data") == nil)
    }

    @Test(
        "--stateful makes a service with named volumes and one replica a StatefulSet; without it, a Deployment that recreates"
    )
    func statefulFlag() throws {
        let compose = """
            services:
              db:
                image: postgres:16
                volumes:
                  - db-data:/var/lib/postgresql/data
            volumes:
              db-data:
            """
        var options = KubeOptions()
        options.stateful = true
        let stateful = try KubeFixture.generate(compose, options: options)
        #expect(
            stateful.objects.map { "\($0.kind)/\($0.name)" } == [
                "NetworkPolicy/demo-isolate", "NetworkPolicy/demo-network-default", "StatefulSet/db",
            ])
        let plain = try KubeFixture.generate(compose)
        #expect(
            plain.objects.map { "\($0.kind)/\($0.name)" } == [
                "NetworkPolicy/demo-isolate", "NetworkPolicy/demo-network-default", "PersistentVolumeClaim/db-data",
                "Deployment/db",
            ])
        #expect(KubeFixture.object(plain, "Deployment", "db")?.contains("  strategy:\n    type: Recreate\n") == true)
    }
}
