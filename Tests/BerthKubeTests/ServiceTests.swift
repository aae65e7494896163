import BerthKube
import Testing

/// Ports, expose and aliases as Services.
@Suite("Kube services")
struct KubeServiceTests {
    static let compose = """
        services:
          web:
            image: nginx:1.27
            ports:
              - "8080:80"
              - "30443:443"
              - "127.0.0.1:9000:9000/udp"
            expose:
              - "9100"
            networks:
              front:
                aliases: [www]
        networks:
          front:
        """

    static let clusterPorts = """
          ports:
          - name: tcp-80
            port: 80
            protocol: TCP
            targetPort: 80
          - name: tcp-443
            port: 443
            protocol: TCP
            targetPort: 443
          - name: udp-9000
            port: 9000
            protocol: UDP
            targetPort: 9000
          - name: tcp-9100
            port: 9100
            protocol: TCP
            targetPort: 9100

        """

    @Test(
        "ports and expose give a ClusterIP Service named after the service, on the container ports; each alias one more"
    )
    func clusterIP() throws {
        let result = try KubeFixture.generate(Self.compose)
        #expect(
            KubeFixture.object(result, "Service", "web") == """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web
                spec:
                  selector:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web

                """ + Self.clusterPorts)
        #expect(
            KubeFixture.object(result, "Service", "www") == """
                apiVersion: v1
                kind: Service
                metadata:
                  name: www
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web
                spec:
                  selector:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web

                """ + Self.clusterPorts)
        #expect(result.objects.filter { $0.kind == "Service" }.map(\.name) == ["web", "www"])
        #expect(
            result.warnings == [
                "service web: attribute ports: port 9000 is published on 127.0.0.1 only; it stays inside the "
                    + "cluster (kubectl port-forward reaches it)",
                "service web: attribute ports: published ports 8080:80, 30443:443 are reachable only "
                    + "inside the cluster (through Service \"web\"); pass --publish-as NodePort or LoadBalancer, "
                    + "or use kubectl port-forward",
            ])
    }

    @Test("--publish-as NodePort offers published ports (node port kept when in range), not those bound to loopback")
    func nodePort() throws {
        var options = KubeOptions()
        options.publishAs = .nodePort
        let result = try KubeFixture.generate(Self.compose, options: options)
        #expect(
            KubeFixture.object(result, "Service", "web-published") == """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web-published
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web
                spec:
                  type: NodePort
                  selector:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web
                  ports:
                  - name: tcp-8080
                    port: 8080
                    protocol: TCP
                    targetPort: 80
                  - name: tcp-30443
                    nodePort: 30443
                    port: 30443
                    protocol: TCP
                    targetPort: 443

                """)
        #expect(
            KubeFixture.object(result, "NetworkPolicy", "demo-published-web") == """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: demo-published-web
                  labels:
                    com.docker.compose.project: demo
                spec:
                  podSelector:
                    matchLabels:
                      com.docker.compose.project: demo
                      com.docker.compose.service: web
                  policyTypes:
                  - Ingress
                  ingress:
                  - ports:
                    - port: 80
                      protocol: TCP
                    - port: 443
                      protocol: TCP

                """)
        #expect(
            result.warnings == [
                "service web: attribute ports: port 9000 is published on 127.0.0.1 only; it stays inside the "
                    + "cluster (kubectl port-forward reaches it)",
                "service web: attribute ports: published port 8080 is outside NodePort's range 30000-32767; "
                    + "the cluster picks the node port",
            ])
    }

    @Test("--publish-as LoadBalancer gives the published ports a LoadBalancer Service")
    func loadBalancer() throws {
        var options = KubeOptions()
        options.publishAs = .loadBalancer
        let result = try KubeFixture.generate(
            """
            services:
              web:
                image: nginx:1.27
                ports: ["8080:80"]
            """, options: options)
        #expect(
            KubeFixture.object(result, "Service", "web-published") == """
                apiVersion: v1
                kind: Service
                metadata:
                  name: web-published
                  labels:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web
                spec:
                  type: LoadBalancer
                  selector:
                    com.docker.compose.project: demo
                    com.docker.compose.service: web
                  ports:
                  - name: tcp-8080
                    port: 8080
                    protocol: TCP
                    targetPort: 80

                """)
        #expect(result.warnings.isEmpty)
    }

    @Test("a dependency with no port has no Service, and the WARN says how to give it one")
    func noPort() throws {
        let result = try KubeFixture.generate(
            """
            services:
              db:
                image: postgres:16
              api:
                image: example/api:1
                depends_on: [db]
            """)
        #expect(!result.objects.contains { $0.kind == "Service" })
        #expect(
            result.warnings == [
                "service api: attribute depends_on.db: db has no TCP port (ports or expose) to wait on; "
                    + "the pod starts without waiting",
                "service db: no ports or expose: no Service is made, so other pods cannot reach it by the name "
                    + "\"db\"; list the ports it listens on under expose:",
            ])
    }

    @Test("a service that lists no port gets the ports the others call it on, each with a WARN")
    func inferredPorts() throws {
        let result = try KubeFixture.generate(
            """
            services:
              db:
                image: postgres:16
              cache:
                image: redis:7
              api:
                image: example/api:1
                environment:
                  DATABASE_URL: postgres://app:secret@db:5432/app
                  NOT_A_CALL: mydb:1234
                command: ["serve", "--redis", "cache:6379"]
                depends_on: [db]
            """)
        #expect(result.objects.filter { $0.kind == "Service" }.map(\.name) == ["cache", "db"])
        #expect(KubeFixture.object(result, "Service", "db")?.contains("  - name: tcp-5432\n    port: 5432\n") == true)
        #expect(KubeFixture.object(result, "Deployment", "api")?.contains("until nc -z -w 2 db 5432;") == true)
        #expect(
            result.warnings == [
                "service cache: no ports or expose: port 6379 is taken from the command of service api; "
                    + "write expose: [\"6379\"] to say so",
                "service db: no ports or expose: port 5432 is taken from DATABASE_URL of service api; "
                    + "write expose: [\"5432\"] to say so",
            ])
    }
}
