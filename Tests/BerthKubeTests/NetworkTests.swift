import BerthKube
import Testing

/// Networks as NetworkPolicies.
@Suite("Kube network policies")
struct KubeNetworkTests {
    static let expected = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: demo-internal-back
          labels:
            com.docker.compose.project: demo
        spec:
          podSelector:
            matchExpressions:
            - key: berth.networks/front
              operator: DoesNotExist
            matchLabels:
              berth.networks/back: "true"
              com.docker.compose.project: demo
          policyTypes:
          - Egress
          egress:
          - to:
            - podSelector:
                matchLabels:
                  berth.networks/back: "true"
                  com.docker.compose.project: demo
          - ports:
            - port: 53
              protocol: UDP
            - port: 53
              protocol: TCP
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: demo-isolate
          labels:
            com.docker.compose.project: demo
        spec:
          podSelector:
            matchLabels:
              com.docker.compose.project: demo
          policyTypes:
          - Ingress
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: demo-network-back
          labels:
            com.docker.compose.project: demo
        spec:
          podSelector:
            matchLabels:
              berth.networks/back: "true"
              com.docker.compose.project: demo
          policyTypes:
          - Ingress
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  berth.networks/back: "true"
                  com.docker.compose.project: demo
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: demo-network-front
          labels:
            com.docker.compose.project: demo
        spec:
          podSelector:
            matchLabels:
              berth.networks/front: "true"
              com.docker.compose.project: demo
          policyTypes:
          - Ingress
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  berth.networks/front: "true"
                  com.docker.compose.project: demo

        """

    static let compose = """
        services:
          web:
            image: nginx
            networks: [front, back]
          db:
            image: postgres
            networks: [back]
        networks:
          front:
            driver: overlay
          back:
            internal: true
            ipam:
              config:
                - subnet: 10.9.0.0/24
        """

    @Test(
        "the project is isolated, each network admits its members, an internal network keeps its only-internal pods in")
    func policies() throws {
        let result = try KubeFixture.generate(
            Self.compose)
        let policies = result.objects.filter { $0.kind == "NetworkPolicy" }
        #expect(
            KubeEmitter.yaml(policies) == Self.expected)
        #expect(
            KubeFixture.object(result, "Deployment", "web")?.contains(
                """
                      labels:
                        berth.networks/back: "true"
                        berth.networks/front: "true"
                """) == true)
        #expect(
            result.warnings == [
                "network back: attribute ipam: has no Kubernetes meaning (the cluster's network decides); dropped",
                "network front: attribute driver: has no Kubernetes meaning (the cluster's network decides); dropped",
            ])
    }

    @Test("a pod kept on internal networks cannot ask the API server, so waiting there for a Job is a WARN")
    func internalWaiter() throws {
        let result = try KubeFixture.generate(
            """
            services:
              seed:
                image: busybox
                networks: [back]
              app:
                image: busybox
                networks: [back]
                depends_on:
                  seed:
                    condition: service_completed_successfully
            networks:
              back:
                internal: true
            """)
        #expect(
            result.warnings == [
                "service app: attribute depends_on.seed: its pods are only on internal networks, whose NetworkPolicy "
                    + "keeps them from the API server that kubectl wait asks; allow that egress for them"
            ])
    }
}
