import BerthKube
import Testing

/// What runs in the container and how: command line, identity, privileges,
/// resources, stopping, and the pod-level settings.
@Suite("Kube container and pod settings")
struct KubeContainerTests {
    static let everythingTemplate = """
          template:
            metadata:
              labels:
                berth.networks/default: "true"
                com.docker.compose.project: demo
                com.docker.compose.service: app
            spec:
              hostname: app-host
              shareProcessNamespace: true
              hostAliases:
              - hostnames:
                - db.local
                - cache.local
                ip: "10.0.0.5"
              dnsConfig:
                nameservers:
                - "10.0.0.2"
                searches:
                - corp.example
                options:
                - name: ndots
                  value: "2"
              nodeSelector:
                kubernetes.io/arch: arm64
                kubernetes.io/os: linux
              securityContext:
                sysctls:
                - name: net.core.somaxconn
                  value: "1024"
              terminationGracePeriodSeconds: 90
              containers:
              - name: app
                image: "example/app:1"
                imagePullPolicy: Always
                command:
                - /bin/entry
                args:
                - serve
                - "--port"
                - "8080"
                workingDir: /srv
                resources:
                  limits:
                    cpu: "500m"
                    memory: "512Mi"
                  requests:
                    memory: "128Mi"
                securityContext:
                  allowPrivilegeEscalation: false
                  capabilities:
                    add:
                    - NET_ADMIN
                    drop:
                    - ALL
                  readOnlyRootFilesystem: true
                  runAsGroup: 2000
                  runAsUser: 1000
                stdin: true
                tty: true
                volumeMounts:
                - mountPath: /dev/shm
                  name: dshm
                - mountPath: /cache
                  name: tmpfs-0
                - mountPath: /data
                  name: volume-1
                - mountPath: /run
                  name: tmpfs-x0
              volumes:
              - name: dshm
                emptyDir:
                  medium: Memory
                  sizeLimit: "64Mi"
              - name: tmpfs-0
                emptyDir:
                  medium: Memory
                  sizeLimit: "1Mi"
              - name: volume-1
                emptyDir: {}
              - name: tmpfs-x0
                emptyDir:
                  medium: Memory
                  sizeLimit: "16Mi"

        """

    static let everythingCompose = """
        services:
          app:
            image: example/app:1
            entrypoint: ["/bin/entry"]
            command: ["serve", "--port", "8080"]
            working_dir: /srv
            user: "1000:2000"
            cap_add: [NET_ADMIN]
            cap_drop: [ALL]
            read_only: true
            security_opt: ["no-new-privileges:true"]
            mem_limit: 512m
            mem_reservation: 128m
            cpus: 0.5
            shm_size: 64m
            stop_grace_period: 1m30s
            init: true
            hostname: app-host
            extra_hosts: ["db.local=10.0.0.5", "cache.local=10.0.0.5"]
            dns: [10.0.0.2]
            dns_search: [corp.example]
            dns_opt: ["ndots:2"]
            sysctls:
              net.core.somaxconn: "1024"
            platform: linux/arm64
            pull_policy: always
            tty: true
            stdin_open: true
            tmpfs: ["/run:size=16m"]
            volumes:
              - type: tmpfs
                target: /cache
                tmpfs:
                  size: 1048576
              - /data
              - ./conf:/etc/app:ro
        """

    @Test(
        "command, entrypoint, user, capabilities, resources, tmpfs, shm, grace period, init, resolvers, sysctls, platform"
    )
    func everything() throws {
        let result = try KubeFixture.generate(
            Self.everythingCompose)
        let app = try #require(KubeFixture.object(result, "Deployment", "app"))
        let template = try #require(app.range(of: "  template:\n"))
        #expect(
            String(app[template.lowerBound...]) == Self.everythingTemplate)
        #expect(
            result.warnings == [
                "service app: attribute volumes: bind mount \(result.directory)/conf:/etc/app is not carried to the "
                    + "cluster (a node's files are not this host's); put the files in the image or a ConfigMap, "
                    + "or pass --allow-hostpath"
            ])
    }

    @Test("--allow-hostpath turns a bind mount into a hostPath volume")
    func hostPath() throws {
        var options = KubeOptions()
        options.allowHostPath = true
        let result = try KubeFixture.generate(
            """
            services:
              app:
                image: example/app:1
                volumes:
                  - ./conf:/etc/app:ro
            """, options: options)
        #expect(
            KubeFixture.object(result, "Deployment", "app")?.hasSuffix(
                """
                        volumeMounts:
                        - mountPath: /etc/app
                          name: bind-0
                          readOnly: true
                      volumes:
                      - name: bind-0
                        hostPath:
                          path: \(result.directory)/conf
                          type: DirectoryOrCreate

                """) == true)
        #expect(result.warnings.isEmpty)
    }
}
