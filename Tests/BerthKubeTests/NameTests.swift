import BerthKube
import BerthModel
import Testing

/// Names, bad input, WARN lines and the output's stability.
@Suite("Kube names and warnings")
struct KubeNameTests {
    @Test(
        "names are lower-cased, other characters become one -, - is trimmed, a leading digit gets x-, 63 at most",
        arguments: [
            ("web", "web"), ("My_App.v2", "my-app-v2"), ("__db__", "db"), ("9lives", "x-9lives"),
            ("a..b", "a-b"), (String(repeating: "a", count: 70), String(repeating: "a", count: 63)),
        ])
    func conversion(name: String, expected: String) {
        #expect(KubeNames.object(name) == expected)
    }

    @Test(
        "label keys are made qualified names",
        arguments: [
            ("com.example.team", "com.example.team"), ("bad key!", "bad-key"), ("Example.COM/a b", "example.com/a-b"),
            ("-/x", "x"), ("!!!", nil),
        ] as [(String, String?)])
    func labelKeys(key: String, expected: String?) {
        #expect(KubeNames.labelKey(key) == expected)
    }

    @Test("nothing left of a name gives nil")
    func empty() {
        #expect(KubeNames.object("___") == nil)
    }

    @Test("every attribute without a Kubernetes meaning is one WARN naming the service and the attribute")
    func warnings() throws {
        let result = try KubeFixture.generate(
            """
            services:
              My_App.v2:
                image: example/app:1
                container_name: my-app
                logging:
                  driver: syslog
                ulimits:
                  nofile: 1024
                stop_signal: SIGINT
                links: [db]
                deploy:
                  placement:
                    constraints: [node.role == manager]
                  resources:
                    reservations:
                      cpus: "0.25"
                      memory: 64m
              db:
                image: postgres
            """)
        #expect(
            result.warnings == [
                "service My_App.v2: attribute container_name: has no Kubernetes meaning (pods are named by their "
                    + "controller); dropped",
                "service My_App.v2: attribute deploy.placement: has no Kubernetes meaning (use nodeSelector or "
                    + "affinity on the generated workload); dropped",
                "service My_App.v2: attribute links: has no Kubernetes meaning (every Service name resolves in the "
                    + "namespace; use the service's name); dropped",
                "service My_App.v2: attribute logging: has no Kubernetes meaning (a cluster collects container "
                    + "output its own way); dropped",
                "service My_App.v2: attribute stop_signal: has no Kubernetes meaning (Kubernetes stops containers "
                    + "with SIGTERM); dropped",
                "service My_App.v2: attribute ulimits: has no Kubernetes meaning (a pod's limits are the node's); "
                    + "dropped",
                "service My_App.v2: its Kubernetes name is \"my-app-v2\"; clients that call it \"My_App.v2\" must "
                    + "use \"my-app-v2\" on the cluster",
            ])
        #expect(result.objects.contains { $0.kind == "Deployment" && $0.name == "my-app-v2" })
        #expect(
            KubeFixture.object(result, "Deployment", "my-app-v2")?.contains(
                "          requests:\n            cpu: \"250m\"\n            memory: \"64Mi\"\n")
                == true)
    }

    @Test("two services that convert to one name are one error naming both")
    func collision() throws {
        let error = try #require(
            throws: BerthError.self,
            performing: {
                try KubeFixture.generate(
                    """
                    services:
                      db_1:
                        image: postgres
                        expose: ["5432"]
                      db-1:
                        image: postgres
                        expose: ["5432"]
                    """)
            })
        #expect(error.code == .invalidName)
        #expect(
            error.description
                == "services \"db-1\" and \"db_1\" both become the Kubernetes name \"db-1\" (lower-cased, other "
                + "characters turned into -, as the README's \"berth kube generate\" section says); rename one of them")
    }

    @Test("an alias that converts to another service's name is an error naming both")
    func aliasCollision() throws {
        let error = try #require(
            throws: BerthError.self,
            performing: {
                try KubeFixture.generate(
                    """
                    services:
                      db:
                        image: postgres
                        expose: ["5432"]
                      cache:
                        image: redis
                        expose: ["6379"]
                        networks:
                          default:
                            aliases: [DB]
                    """)
            })
        #expect(
            error.description
                == "the alias \"DB\" of service \"cache\" and service \"db\" both become Service \"db\" (names are "
                + "converted as the README's \"berth kube generate\" section says); rename one of them")
    }

    @Test("a service that is only built names the missing image and suggests image: and berth push")
    func missingImage() throws {
        let error = try #require(
            throws: BerthError.self,
            performing: {
                try KubeFixture.generate(
                    """
                    services:
                      api:
                        build: ./api
                    """)
            })
        #expect(
            error.description
                == "service \"api\" has no image: a cluster pulls every container's image from a registry, and this "
                + "service is only built (build: without image:). Add `image: REGISTRY/demo-api:TAG` to it, then "
                + "`berth build api` and `berth push api` before applying.")
    }

    @Test("--namespace is set on every object and must be a namespace name")
    func namespace() throws {
        var options = KubeOptions()
        options.namespace = "shop"
        let result = try KubeFixture.generate("services:\n  web:\n    image: nginx\n", options: options)
        for object in result.objects {
            #expect(KubeEmitter.yaml(object.value).contains("metadata:\n  name: \(object.name)\n  namespace: shop\n"))
        }
        options.namespace = "Bad_NS"
        #expect(throws: BerthError.self) {
            try KubeFixture.generate("services:\n  web:\n    image: nginx\n", options: options)
        }
    }

    @Test("naming services converts those and their dependencies only")
    func selection() throws {
        let result = try KubeFixture.generate(
            """
            services:
              web:
                image: nginx
                depends_on: [api]
              api:
                image: example/api:1
              other:
                image: busybox
            """, services: ["api"])
        #expect(result.objects.filter { $0.kind == "Deployment" }.map(\.name) == ["api"])
    }

    @Test("x-berth.kube.kind must name a kind; a claim size must be a quantity")
    func badSettings() throws {
        let error = try #require(
            throws: BerthError.self,
            performing: {
                try KubeFixture.generate(
                    """
                    services:
                      web:
                        image: nginx
                        x-berth: {kube: {kind: DaemonSet}}
                    """)
            })
        #expect(
            error.description
                == "service \"web\": x-berth.kube.kind \"DaemonSet\" is not Deployment, StatefulSet or Job")
        let result = try KubeFixture.generate(
            """
            services:
              db:
                image: postgres
                volumes: [data:/data]
            volumes:
              data:
                x-berth: {kube: {size: lots, access_mode: Everyone}}
            """)
        #expect(
            result.warnings == [
                "volume data: size \"lots\" is not a Kubernetes quantity (10Gi, 500Mi); 1Gi is claimed",
                "volume data: access mode \"Everyone\" is not a Kubernetes one; ReadWriteOnce is claimed",
            ])
        #expect(KubeFixture.object(result, "PersistentVolumeClaim", "data")?.contains("storage: \"1Gi\"") == true)
    }

    @Test("extreme values convert without trapping")
    func extremes() throws {
        let result = try KubeFixture.generate(
            """
            services:
              web:
                image: nginx
                cpus: 100000000
                stop_grace_period: 2000000h
                tmpfs: ["/t:size=99999999999999999g"]
                dns_opt: [""]
            """)
        let web = try #require(KubeFixture.object(result, "Deployment", "web"))
        #expect(web.contains("cpu: \"1000000\""))
        #expect(web.contains("terminationGracePeriodSeconds: 7200000000\n"))
    }
}
