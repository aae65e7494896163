import Foundation
import Testing

/// `berth kube generate` as a user runs it: the streams, `-o DIR`, flags before the command.
@Suite("berth kube generate")
struct KubeCommandTests {
    let compose = """
        name: shop
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            logging:
              driver: syslog
        """

    @Test func printsManifestsOnStdoutAndWarningsOnStderr() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", compose)
        let result = try berth.run(["kube", "generate"])
        #expect(result.status == 0)
        #expect(
            result.stderr == """
                WARN: service web: attribute logging: has no Kubernetes meaning (a cluster collects container output its own way); dropped
                WARN: service web: attribute ports: published ports 8080:80 are reachable only inside the cluster (through Service "web"); pass --publish-as NodePort or LoadBalancer, or use kubectl port-forward

                """)
        let documents = result.stdout.components(separatedBy: "---\n")
        #expect(documents.count == 4)
        #expect(documents.last?.hasPrefix("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n") == true)
        // Flags before the command reach `generate`, as they reach `config`.
        let reordered = try berth.run(["-f", "compose.yaml", "kube", "generate", "--format", "json"])
        #expect(reordered.status == 0)
        #expect(reordered.stdout.hasPrefix("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n"))
    }

    @Test func writesOneFilePerObjectIntoADirectory() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", compose)
        let result = try berth.run(["kube", "generate", "-o", "k8s", "--publish-as", "NodePort"])
        #expect(result.status == 0)
        #expect(result.stdout == "")
        let files = try FileManager.default.contentsOfDirectory(
            atPath: berth.directory.appendingPathComponent("k8s").path
        ).sorted()
        #expect(
            files == [
                "deployment-web.yaml", "networkpolicy-shop-isolate.yaml", "networkpolicy-shop-network-default.yaml",
                "networkpolicy-shop-published-web.yaml", "service-web-published.yaml", "service-web.yaml",
            ])
        let service = try String(
            contentsOf: berth.directory.appendingPathComponent("k8s/service-web-published.yaml"), encoding: .utf8)
        #expect(service.contains("  type: NodePort\n"))
    }

    @Test func aServiceWithoutImageFailsNamingIt() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        try berth.write("compose.yaml", "services:\n  api:\n    build: .\n")
        try berth.write("Dockerfile", "FROM busybox\n")
        let result = try berth.run(["kube", "generate", "-p", "shop"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(
            result.stderr
                == "service \"api\" has no image: a cluster pulls every container's image from a registry, and this "
                + "service is only built (build: without image:). Add `image: REGISTRY/shop-api:TAG` to it, then "
                + "`berth build api` and `berth push api` before applying.\n")
    }

    /// Two processes hash dictionaries with different seeds: equal output means nothing depends on their order.
    @Test func theSameProjectGivesTheSameBytesInEveryRun() throws {
        let berth = try BerthRunner()
        defer { berth.cleanup() }
        let file = BerthRunner.repository.appendingPathComponent("examples/webapp/compose.yaml").path
        let arguments = ["kube", "generate", "-f", file, "--publish-as", "NodePort", "--stateful"]
        let first = try berth.run(arguments)
        #expect(first.status == 0)
        for _ in 0..<3 {
            let again = try berth.run(arguments)
            #expect(again.stdout == first.stdout)
            #expect(again.stderr == first.stderr)
        }
    }
}
