import BerthModel
import ComposeLoader
import Testing

/// `deploy` (replicas, resources), `scale`, and the service-level limits.
@Suite struct DeployResourcesTests {
    @Test func replicasAndLimits() throws {
        let yaml = """
            services:
              web:
                image: nginx
                deploy:
                  replicas: 2
                  resources:
                    limits:
                      memory: 512m
                      cpus: "0.5"
                      pids: 100
                    reservations:
                      memory: 1g
                      cpus: 0.25
            """
        #expect(
            try fieldYAML(yaml, "deploy") == """
                replicas: 2
                resources:
                  limits:
                    cpus: 0.5
                    memory: 536870912
                    pids: 100
                  reservations:
                    cpus: 0.25
                    memory: 1073741824

                """)
        let web = try typedService(try loadYAML(yaml))
        #expect(web.replicas == 2)
        #expect(
            web.resources
                == Resources(memoryLimit: 536_870_912, memoryReservation: 1_073_741_824, cpus: 0.5, pidsLimit: 100))
        try expectRoundTrip(yaml)
    }

    @Test func scale() throws {
        let yaml = """
            services:
              web:
                image: nginx
                scale: 3
            """
        #expect(try fieldYAML(yaml, "scale") == "3\n")
        #expect(try typedService(try loadYAML(yaml)).replicas == 3)
    }

    @Test func defaultReplicasIsOne() throws {
        let yaml = """
            services:
              web:
                image: nginx
            """
        #expect(try typedService(try loadYAML(yaml)).replicas == 1)
    }

    @Test func serviceLevelLimits() throws {
        let yaml = """
            services:
              web:
                image: nginx
                mem_limit: 1g
                mem_reservation: 256M
                memswap_limit: -1
                shm_size: 64mb
                cpus: 1.5
                pids_limit: -1
            """
        let canonical = try serviceYAML(yaml)
        #expect(
            canonical == """
                cpus: 1.5
                image: nginx
                mem_limit: 1073741824
                mem_reservation: 268435456
                memswap_limit: -1
                networks:
                  default: null
                pids_limit: -1
                shm_size: 67108864

                """)
        let web = try typedService(try loadYAML(yaml))
        var resources = Resources(
            memoryLimit: 1_073_741_824, memoryReservation: 268_435_456, cpus: 1.5, pidsLimit: -1, shmSize: 67_108_864)
        resources.memorySwap = -1
        #expect(web.resources == resources)
    }

    @Test func serviceLevelAndDeployMayAgree() throws {
        let yaml = """
            services:
              web:
                image: nginx
                mem_limit: 128m
                cpus: 0.5
                scale: 2
                deploy:
                  replicas: 2
                  resources:
                    limits:
                      memory: 134217728
                      cpus: "0.50"
            """
        let web = try typedService(try loadYAML(yaml))
        #expect(web.resources.memoryLimit == 134_217_728)
        #expect(web.resources.cpus == 0.5)
        #expect(web.replicas == 2)
    }

    @Test func serviceLevelAndDeployMustNotDisagree() {
        // As compose-go: two spellings of one setting with different values is an error.
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    scale: 2
                    cpus: 2
                    mem_limit: 1g
                    pids_limit: 10
                    mem_reservation: 1m
                    deploy:
                      replicas: 3
                      resources:
                        limits:
                          memory: 128m
                          cpus: 0.5
                          pids: 20
                        reservations:
                          memory: 2m
                """) == """
                    compose.yaml:4:12: services.web.scale: scale (2) and deploy.replicas (3) disagree; set only one of them
                    compose.yaml:5:11: services.web.cpus: cpus (2) and deploy.resources.limits.cpus (0.5) disagree; set only one of them
                    compose.yaml:6:16: services.web.mem_limit: mem_limit (1073741824) and deploy.resources.limits.memory (134217728) disagree; set only one of them
                    compose.yaml:7:17: services.web.pids_limit: pids_limit (10) and deploy.resources.limits.pids (20) disagree; set only one of them
                    compose.yaml:8:22: services.web.mem_reservation: mem_reservation (1048576) and deploy.resources.reservations.memory (2097152) disagree; set only one of them
                    """)
    }

    @Test func deployRestartPolicyGivesTheRestartPolicy() throws {
        // docker compose lets deploy.restart_policy decide when it is present.
        let yaml = """
            services:
              web:
                image: nginx
                restart: always
                deploy:
                  restart_policy:
                    condition: on-failure
                    max_attempts: 5
              api:
                image: nginx
                deploy:
                  restart_policy:
                    condition: any
              db:
                image: nginx
                deploy:
                  restart_policy:
                    condition: none
            """
        let loaded = try loadYAML(yaml)
        #expect(try typedService(loaded, "web").restart == .onFailure(maxRetries: 5))
        #expect(try typedService(loaded, "api").restart == .always)
        #expect(try typedService(loaded, "db").restart == .no)
    }

    @Test func badSize() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    mem_limit: 12q
                    deploy:
                      resources:
                        limits:
                          memory: lots
                """) == """
                    compose.yaml:4:16: services.web.mem_limit: "12q" is not a size (write it like 512m, 1g or 1048576)
                    compose.yaml:8:19: services.web.deploy.resources.limits.memory: "lots" is not a size (write it like 512m, 1g or 1048576)
                    """)
    }

    @Test func otherErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    scale: -1
                    cpus: -2
                    deploy:
                      replicas: many
                      resources:
                        limits:
                          cpus: half
                          gpus: 1
                """) == """
                    compose.yaml:4:12: services.web.scale: -1 is out of range (0-1000)
                    compose.yaml:5:11: services.web.cpus: -2 is out of range: cpus must be 0 or more
                    compose.yaml:7:17: services.web.deploy.replicas: must be an integer, not "many"
                    compose.yaml:11:11: services.web.deploy.resources.limits.gpus: unknown key "gpus"; did you mean "cpus"?
                    compose.yaml:10:17: services.web.deploy.resources.limits.cpus: must be a number, not "half"
                    """)
    }

    @Test func containerNameWithReplicas() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    container_name: web
                    deploy:
                      replicas: 2
                """) == """
                    compose.yaml:4:21: services.web.container_name: container_name "web" cannot be used with more than one replica
                    """)
    }
}
