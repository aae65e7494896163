import BerthModel
import Reconciler
import RuntimeKit
import Testing

/// A service replica becomes the container spec the runtime is handed.
@Suite("ServiceSpecs")
struct ServiceSpecsTests {
    static func project() throws -> Project {
        var web = Fixture.service(
            "web", image: "nginx:1.27", environment: ["MODE": "prod", "UNSET": String?.none],
            dependsOn: ["db": Dependency(condition: .healthy, restart: true)],
            volumes: [
                Mount(type: .volume, source: "data", target: "/data", readOnly: true, nocopy: true),
                Mount(type: .bind, source: "/srv/demo/conf", target: "/etc/nginx/conf.d", readOnly: true),
                Mount(type: .tmpfs, source: nil, target: "/cache", tmpfsSize: 1 << 20),
                Mount(type: .volume, source: nil, target: "/scratch"),
            ])
        web.labels = ["team": "edge", ComposeLabel.project: "spoofed"]
        web.networks = [
            ServiceNetwork(network: "back", aliases: ["api"]), ServiceNetwork(network: "front", priority: 10),
        ]
        web.ports = [
            PortMapping(target: 80, published: "8080", hostIP: "127.0.0.1"),
            PortMapping(target: 53, published: nil, protocol: .udp),
            PortMapping(target: 9000, published: "9000-9010"),
        ]
        web.tmpfs = ["/run:size=64m,mode=1777", "/tmp"]
        web.stopSignal = "SIGQUIT"
        web.stopGracePeriod = 3_000_000_000
        web.healthcheck = Healthcheck(test: ["CMD", "true"], interval: 1_000_000_000)
        var project = try Fixture.project([
            web, Fixture.service("db"), Fixture.service("sidecar", networkMode: .service("web")),
            Fixture.service("tool", networkMode: .disabled),
        ])
        project.networks["front"] = Network(name: "demo_front")
        project.networks["back"] = Network(name: "shared-back", external: true)
        return project
    }

    @Test func namesLabelsAndEnvironment() throws {
        let project = try Self.project()
        let web = try #require(project.services["web"])
        let spec = ServiceSpecs.spec(for: web, number: 2, in: project)
        #expect(spec.name == "demo-web-2")
        #expect(spec.image == "nginx:1.27")
        #expect(
            spec.labels == [
                "team": "edge",
                ComposeLabel.project: "demo",
                ComposeLabel.service: "web",
                ComposeLabel.containerNumber: "2",
                ComposeLabel.oneoff: "False",
                ComposeLabel.configHash: web.configHash,
                ComposeLabel.workingDir: "/srv/demo",
                ComposeLabel.dependsOn: "db:service_healthy:true",
            ])
        #expect(spec.environment == ["MODE": "prod"])
        #expect(spec.stopSignal == "SIGQUIT")
        #expect(spec.stopGracePeriod == 3_000_000_000)
        #expect(spec.healthcheck?.test == ["CMD", "true"])
    }

    @Test func containerNameWinsAndBuildOnlyServicesGetTheBuiltImageName() throws {
        let project = try Self.project()
        var db = try #require(project.services["db"])
        db.containerName = "postgres-main"
        db.image = nil
        let spec = ServiceSpecs.spec(for: db, number: 1, in: project)
        #expect(spec.name == "postgres-main")
        #expect(spec.image == "demo-db")
    }

    @Test func mountsUseHostVolumeNames() throws {
        let project = try Self.project()
        let spec = ServiceSpecs.spec(for: try #require(project.services["web"]), number: 1, in: project)
        #expect(
            spec.mounts == [
                .volume(name: "demo_data", target: "/data", readOnly: true, nocopy: true),
                .bind(source: "/srv/demo/conf", target: "/etc/nginx/conf.d", readOnly: true, createHostPath: true),
                .tmpfs(target: "/cache", size: 1 << 20, mode: nil),
                .anonymous(target: "/scratch"),
                .tmpfs(target: "/run", size: 64 << 20, mode: 0o1777),
                .tmpfs(target: "/tmp", size: nil, mode: nil),
            ])
    }

    @Test func fileSecretsAndConfigsAreReadOnlyBinds() throws {
        var project = try Self.project()
        project.secrets = [
            "token": FileObject(name: "demo_token", source: .file("/srv/demo/token.txt")),
            "inline": FileObject(name: "demo_inline", source: .content("s3cret")),
        ]
        project.configs = ["nginx": FileObject(name: "demo_nginx", source: .file("/srv/demo/nginx.conf"))]
        var tool = try #require(project.services["tool"])
        tool.secrets = [FileReference(source: "token"), FileReference(source: "inline")]
        tool.configs = [FileReference(source: "nginx", target: "/etc/nginx/nginx.conf")]
        #expect(
            ServiceSpecs.mounts(for: tool, in: project) == [
                .bind(
                    source: "/srv/demo/token.txt", target: "/run/secrets/token", readOnly: true, createHostPath: false),
                .bind(
                    source: "/srv/demo/nginx.conf", target: "/etc/nginx/nginx.conf", readOnly: true,
                    createHostPath: false),
            ])
    }

    @Test func networksByPriorityWithTheServiceNameAsAlias() throws {
        let project = try Self.project()
        let spec = ServiceSpecs.spec(for: try #require(project.services["web"]), number: 1, in: project)
        #expect(spec.networkMode == .bridge)
        #expect(
            spec.networks == [
                NetworkAttachment(network: "demo_front", aliases: ["web"]),
                NetworkAttachment(network: "shared-back", aliases: ["web", "api"]),
            ])
        #expect(
            spec.ports == [
                PortSpec(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80),
                PortSpec(hostIP: nil, hostPort: nil, containerPort: 53, protocol: .udp),
                PortSpec(hostIP: nil, hostPort: 9000, containerPort: 9000),
            ])
    }

    @Test func networkModes() throws {
        let project = try Self.project()
        let sidecar = ServiceSpecs.spec(for: try #require(project.services["sidecar"]), number: 1, in: project)
        #expect(sidecar.networkMode == .container("demo-web-1"))
        #expect(sidecar.networks.isEmpty)
        let tool = ServiceSpecs.spec(for: try #require(project.services["tool"]), number: 1, in: project)
        #expect(tool.networkMode == ContainerNetworkMode.none)
        var host = Fixture.service("h", networkMode: .host)
        host.configHash = "x"
        #expect(ServiceSpecs.networkMode(for: host, in: project) == .host)
        host.networkMode = .container("abc123")
        #expect(ServiceSpecs.networkMode(for: host, in: project) == .container("abc123"))
        // A mode Berth does not know gets a namespace of its own, as bridge does.
        host.networkMode = .other("default")
        #expect(ServiceSpecs.networkMode(for: host, in: project) == .bridge)
    }

    @Test func dependsOnLabelsRoundTrip() {
        let label = RecordedDependency.label([
            "web": Dependency(), "db": Dependency(condition: .healthy, restart: true),
        ])
        #expect(label == "db:service_healthy:true,web:service_started:false")
        #expect(
            RecordedDependency.parse(label) == [
                RecordedDependency(service: "db", condition: .healthy, restart: true),
                RecordedDependency(service: "web", condition: .started, restart: false),
            ])
        #expect(RecordedDependency.parse("").isEmpty)
        #expect(
            RecordedDependency.parse("x") == [RecordedDependency(service: "x", condition: .started, restart: false)])
    }

    @Test func noNewPrivilegesAsDockerSpellsIt() throws {
        for (options, wanted) in [
            (["no-new-privileges"], true), (["no-new-privileges:true"], true), (["no-new-privileges=true"], true),
            (["no-new-privileges:false"], false), (["no-new-privileges", "no-new-privileges:false"], false),
            (["seccomp:unconfined"], false), ([], false),
        ] {
            var service = Fixture.service("app")
            service.securityOpt = options
            let project = try Fixture.project([service])
            let spec = ServiceSpecs.spec(for: try #require(project.services["app"]), number: 1, in: project)
            #expect((spec.noNewPrivileges ?? false) == wanted, "\(options)")
        }
    }

    @Test func whatBerthDoesNotApplyIsNotedByUp() async throws {
        var service = Fixture.service(
            "app",
            volumes: [
                Mount(type: .image, source: "busybox", target: "/img"), Mount(type: .volume, source: nil, target: "/v"),
            ])
        service.links = ["db:database"]
        service.ipc = .disabled
        service.pid = .host
        // seccomp is applied; apparmor and label are the runtime's to warn about; others are noted.
        service.securityOpt = ["no-new-privileges:true", "seccomp:unconfined", "apparmor=x", "systempaths=unconfined"]
        let project = try Fixture.project([service, Fixture.service("quiet")])
        let plan = try await Fixture.up(project, on: Fixture.runtime())
        #expect(
            plan.notes == [
                "service app: ipc: none is not applied; the container has an IPC namespace of its own",
                "service app: security_opt systempaths=unconfined is not applied",
                "service app: the image mount at /img is not made; Berth mounts volumes, binds and tmpfs",
            ])
    }

    @Test func volumesFromNamesTheFirstReplicaOrTheContainer() throws {
        var app = Fixture.service("app")
        app.volumesFrom = [
            VolumesFrom(.service("db")), VolumesFrom(.service("db"), readOnly: true),
            VolumesFrom(.service("db"), readOnly: false), VolumesFrom(.container("other")),
            VolumesFrom(.container("other"), readOnly: true), VolumesFrom(.service("gone")),
        ]
        let project = try Fixture.project([app, Fixture.service("db", replicas: 2)])
        let spec = ServiceSpecs.spec(for: try #require(project.services["app"]), number: 1, in: project)
        #expect(
            spec.volumesFrom == [
                VolumesFromContainer(container: "demo-db-1"),
                VolumesFromContainer(container: "demo-db-1", readOnly: true),
                VolumesFromContainer(container: "demo-db-1", readOnly: false),
                VolumesFromContainer(container: "other"), VolumesFromContainer(container: "other", readOnly: true),
            ])
        let db = ServiceSpecs.spec(for: try #require(project.services["db"]), number: 1, in: project)
        #expect(db.volumesFrom == nil)
    }

    @Test func pidAndIPCModesForTheRuntime() throws {
        var app = Fixture.service("app")
        app.pid = .service("db")
        app.ipc = .host
        var tool = Fixture.service("tool")
        tool.pid = .container("other")
        tool.ipc = .shareable
        let project = try Fixture.project([app, tool, Fixture.service("db")])
        let appSpec = ServiceSpecs.spec(for: try #require(project.services["app"]), number: 1, in: project)
        #expect(appSpec.pidMode == .container("demo-db-1") && appSpec.ipcMode == .host)
        let toolSpec = ServiceSpecs.spec(for: try #require(project.services["tool"]), number: 1, in: project)
        #expect(toolSpec.pidMode == .container("other") && toolSpec.ipcMode == nil)
    }

    @Test func linksBecomeALabelTheDNSReads() throws {
        var app = Fixture.service("app")
        app.links = ["db", "cache:redis"]
        let project = try Fixture.project([app, Fixture.service("db"), Fixture.service("cache")])
        let spec = ServiceSpecs.spec(for: try #require(project.services["app"]), number: 1, in: project)
        #expect(spec.labels[BerthLabel.links] == "db:db,cache:redis")
        let db = ServiceSpecs.spec(for: try #require(project.services["db"]), number: 1, in: project)
        #expect(db.labels[BerthLabel.links] == nil)
    }
}
