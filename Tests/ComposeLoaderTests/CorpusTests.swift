import BerthModel
import Foundation
import Testing

@testable import ComposeLoader

/// What one service of a corpus file says, in a form easy to write down:
/// paths inside the file's directory are written `./…`.
struct ServiceFacts: Equatable, Sendable, CustomStringConvertible {
    var image: String?
    /// The build context, `./…` for one inside the project.
    var build: String?
    /// `[host_ip:]published:target/protocol`.
    var ports: [String] = []
    /// `type source target[ ro]`, `-` for no source.
    var volumes: [String] = []
    var networks: [String] = ["default"]
    /// nil values (bare `KEY` with no value anywhere) are written `<unset>`.
    var environment: [String: String] = [:]
    var dependsOn: [String] = []
    var command: [String]?
    var expose: [String] = []
    var restart = "no"
    var containerName: String?

    var description: String {
        "image=\(image ?? "-") build=\(build ?? "-") ports=\(ports) volumes=\(volumes) networks=\(networks) "
            + "environment=\(environment.sorted { $0.key < $1.key }) dependsOn=\(dependsOn) command=\(command ?? []) "
            + "expose=\(expose) restart=\(restart) container_name=\(containerName ?? "-")"
    }

    /// The facts of a loaded service, paths under `directory` made relative.
    init(_ service: Service, directory: String) {
        func relative(_ path: String) -> String {
            if path == directory { return "." }
            if path.hasPrefix(directory + "/") { return "./" + path.dropFirst(directory.count + 1) }
            return path
        }
        image = service.image
        build = service.build.map { relative($0.context) }
        ports = service.ports.map { p in
            "\(p.hostIP.map { "\($0):" } ?? "")\(p.published ?? ""):\(p.target)/\(p.protocol.rawValue)"
        }
        volumes = service.volumes.map { v in
            "\(v.type.rawValue) \(v.source.map(relative) ?? "-") \(v.target)\(v.readOnly ? " ro" : "")"
        }
        networks = service.networks.map(\.network)
        environment = service.environment.mapValues { $0 ?? "<unset>" }
        dependsOn = service.dependsOn.keys.sorted()
        command = service.command
        expose = service.expose
        restart = service.restart.description
        containerName = service.containerName
    }

    init(
        image: String? = nil, build: String? = nil, ports: [String] = [], volumes: [String] = [],
        networks: [String] = ["default"],
        environment: [String: String] = [:], dependsOn: [String] = [], command: [String]? = nil, expose: [String] = [],
        restart: String = "no", containerName: String? = nil
    ) {
        self.image = image
        self.build = build
        self.ports = ports
        self.volumes = volumes
        self.networks = networks
        self.environment = environment
        self.dependsOn = dependsOn
        self.command = command
        self.expose = expose
        self.restart = restart
        self.containerName = containerName
    }
}

/// One corpus file and everything it says.
struct CorpusCase: Sendable, CustomTestStringConvertible {
    var path: String
    var services: [String: ServiceFacts]
    var volumes: [String] = []
    var networks: [String] = ["default"]
    var secrets: [String] = []
    var testDescription: String { path }
}

private let mysqlPing = [
    "CMD-SHELL", "mysqladmin ping -h 127.0.0.1 --password=\"$(cat /run/secrets/db-password)\" --silent",
]
private let mariadbCommand = ["--default-authentication-plugin=mysql_native_password"]
private let mysqlEnvironment = ["MYSQL_DATABASE": "example", "MYSQL_ROOT_PASSWORD_FILE": "/run/secrets/db-password"]

private let corpusCases: [CorpusCase] = [
    CorpusCase(
        path: "angular/compose.yaml",
        services: [
            "web": ServiceFacts(
                build: "./angular", ports: ["4200:4200/tcp"],
                volumes: ["bind ./angular /project", "volume - /project/node_modules"])
        ]),
    CorpusCase(
        path: "aspnet-mssql/compose.yaml",
        services: [
            "web": ServiceFacts(build: "./app/aspnetapp", ports: ["80:80/tcp"]),
            "db": ServiceFacts(
                image: "mcr.microsoft.com/azure-sql-edge:1.0.4",
                environment: ["ACCEPT_EULA": "Y", "SA_PASSWORD": "example_123"], restart: "always"),
        ]),
    CorpusCase(
        path: "elasticsearch-logstash-kibana/compose.yaml",
        services: [
            "elasticsearch": ServiceFacts(
                image: "elasticsearch:7.16.1", ports: ["9200:9200/tcp", "9300:9300/tcp"], networks: ["elastic"],
                environment: ["discovery.type": "single-node", "ES_JAVA_OPTS": "-Xms512m -Xmx512m"], containerName: "es"
            ),
            "logstash": ServiceFacts(
                image: "logstash:7.16.1", ports: ["5000:5000/tcp", "5000:5000/udp", "5044:5044/tcp", "9600:9600/tcp"],
                volumes: [
                    "bind ./logstash/pipeline/logstash-nginx.config /usr/share/logstash/pipeline/logstash-nginx.config",
                    "bind ./logstash/nginx.log /home/nginx.log",
                ],
                networks: ["elastic"],
                environment: ["discovery.seed_hosts": "logstash", "LS_JAVA_OPTS": "-Xms512m -Xmx512m"],
                dependsOn: ["elasticsearch"],
                command: ["logstash", "-f", "/usr/share/logstash/pipeline/logstash-nginx.config"],
                containerName: "log"),
            "kibana": ServiceFacts(
                image: "kibana:7.16.1", ports: ["5601:5601/tcp"], networks: ["elastic"], dependsOn: ["elasticsearch"],
                containerName: "kib"),
        ], networks: ["elastic"]),
    CorpusCase(
        path: "flask-redis/compose.yaml",
        services: [
            "redis": ServiceFacts(image: "redislabs/redismod", ports: ["6379:6379/tcp"]),
            "web": ServiceFacts(build: ".", ports: ["8000:8000/tcp"], volumes: ["bind . /code"], dependsOn: ["redis"]),
        ]),
    CorpusCase(
        path: "gitea-postgres/compose.yaml",
        services: [
            "gitea": ServiceFacts(
                image: "gitea/gitea:latest", ports: ["3000:3000/tcp"], volumes: ["volume git_data /data"],
                environment: [
                    "DB_TYPE": "postgres", "DB_HOST": "db:5432", "DB_NAME": "gitea", "DB_USER": "gitea",
                    "DB_PASSWD": "gitea",
                ],
                restart: "always"),
            "db": ServiceFacts(
                image: "postgres:alpine", volumes: ["volume db_data /var/lib/postgresql/data"],
                environment: ["POSTGRES_USER": "gitea", "POSTGRES_PASSWORD": "gitea", "POSTGRES_DB": "gitea"],
                expose: ["5432"], restart: "always"),
        ], volumes: ["db_data", "git_data"]),
    CorpusCase(
        path: "nextcloud-postgres/compose.yaml",
        services: [
            "nc": ServiceFacts(
                image: "nextcloud:apache", ports: ["80:80/tcp"], volumes: ["volume nc_data /var/www/html"],
                environment: [
                    "POSTGRES_HOST": "db", "POSTGRES_PASSWORD": "nextcloud", "POSTGRES_DB": "nextcloud",
                    "POSTGRES_USER": "nextcloud",
                ],
                restart: "always"),
            "db": ServiceFacts(
                image: "postgres:alpine", volumes: ["volume db_data /var/lib/postgresql/data"],
                environment: [
                    "POSTGRES_PASSWORD": "nextcloud", "POSTGRES_DB": "nextcloud", "POSTGRES_USER": "nextcloud",
                ],
                expose: ["5432"], restart: "always"),
        ], volumes: ["db_data", "nc_data"]),
    CorpusCase(
        path: "nginx-aspnet-mysql/compose.yaml",
        services: [
            "backend": ServiceFacts(
                build: "./backend", environment: ["ASPNETCORE_URLS": "http://+:8000"], dependsOn: ["db"],
                restart: "always"),
            "db": ServiceFacts(
                image: "mariadb:10-focal", volumes: ["volume db-data /var/lib/mysql"], environment: mysqlEnvironment,
                command: mariadbCommand, restart: "always"),
            "proxy": ServiceFacts(build: "./proxy", ports: ["80:80/tcp"], dependsOn: ["backend"]),
        ], volumes: ["db-data"], secrets: ["db-password"]),
    CorpusCase(
        path: "nginx-flask-mysql/compose.yaml",
        services: [
            "db": ServiceFacts(
                image: "mariadb:10-focal", volumes: ["volume db-data /var/lib/mysql"], networks: ["backnet"],
                environment: mysqlEnvironment, command: mariadbCommand, expose: ["3306", "33060"], restart: "always"),
            "backend": ServiceFacts(
                build: "./backend", ports: ["8000:8000/tcp"], networks: ["backnet", "frontnet"], dependsOn: ["db"],
                restart: "always"),
            "proxy": ServiceFacts(
                build: "./proxy", ports: ["80:80/tcp"], networks: ["frontnet"], dependsOn: ["backend"],
                restart: "always"),
        ], volumes: ["db-data"], networks: ["backnet", "frontnet"], secrets: ["db-password"]),
    CorpusCase(
        path: "nginx-golang-postgres/compose.yaml",
        services: [
            "backend": ServiceFacts(build: "./backend", dependsOn: ["db"]),
            "db": ServiceFacts(
                image: "postgres", volumes: ["volume db-data /var/lib/postgresql/data"],
                environment: ["POSTGRES_DB": "example", "POSTGRES_PASSWORD_FILE": "/run/secrets/db-password"],
                expose: ["5432"], restart: "always"),
            "proxy": ServiceFacts(
                image: "nginx", ports: ["80:80/tcp"],
                volumes: ["bind ./proxy/nginx.conf /etc/nginx/conf.d/default.conf ro"],
                dependsOn: ["backend"]),
        ], volumes: ["db-data"], secrets: ["db-password"]),
    CorpusCase(
        path: "nginx-nodejs-redis/compose.yaml",
        services: [
            "redis": ServiceFacts(image: "redislabs/redismod", ports: ["6379:6379/tcp"]),
            "web1": ServiceFacts(build: "./web", ports: ["81:5000/tcp"], restart: "on-failure"),
            "web2": ServiceFacts(build: "./web", ports: ["82:5000/tcp"], restart: "on-failure"),
            "nginx": ServiceFacts(build: "./nginx", ports: ["80:80/tcp"], dependsOn: ["web1", "web2"]),
        ]),
    CorpusCase(
        path: "pihole-cloudflared-DoH/compose.yaml",
        services: [
            "cloudflared": ServiceFacts(
                image: "visibilityspots/cloudflared", ports: ["5054:5054/tcp", "5054:5054/udp"], networks: ["dns-net"],
                environment: ["TZ": "Etc/UTC", "PORT": "5054", "ADDRESS": "0.0.0.0"], restart: "always",
                containerName: "cloudflared"),
            "pihole": ServiceFacts(
                image: "pihole/pihole:latest",
                ports: ["53:53/tcp", "53:53/udp", "67:67/udp", "8080:80/tcp", "8443:443/tcp"],
                volumes: ["bind /etc/pihole /etc/pihole", "bind /etc/dnsmasq.d /etc/dnsmasq.d"],
                networks: ["dns-net"],
                environment: [
                    "TZ": "Etc/UTC", "PIHOLE_DNS_": "172.20.0.2#5054;1.1.1.1", "WEBPASSWORD": "changeit",
                    "REV_SERVER": "true",
                    "REV_SERVER_TARGET": "192.168.178.1", "REV_SERVER_DOMAIN": "fritz.box",
                    "REV_SERVER_CIDR": "192.168.178.0/24",
                    "ServerIP": "192.168.178.X", "ServerIPv6": "",
                ],
                dependsOn: ["cloudflared"], restart: "always", containerName: "pihole"),
        ], networks: ["dns-net"]),
    CorpusCase(
        path: "portainer/compose.yaml",
        services: [
            "portainer": ServiceFacts(
                image: "portainer/portainer-ce:alpine", ports: ["9000:9000/tcp"],
                volumes: ["bind /var/run/docker.sock /var/run/docker.sock", "volume portainer_data /data"],
                command: ["-H", "unix:///var/run/docker.sock"], restart: "always", containerName: "portainer")
        ], volumes: ["portainer_data"]),
    CorpusCase(
        path: "prometheus-grafana/compose.yaml",
        services: [
            "prometheus": ServiceFacts(
                image: "prom/prometheus", ports: ["9090:9090/tcp"],
                volumes: ["bind ./prometheus /etc/prometheus", "volume prom_data /prometheus"],
                command: ["--config.file=/etc/prometheus/prometheus.yml"], restart: "unless-stopped",
                containerName: "prometheus"),
            "grafana": ServiceFacts(
                image: "grafana/grafana", ports: ["3000:3000/tcp"],
                volumes: ["bind ./grafana /etc/grafana/provisioning/datasources"],
                environment: ["GF_SECURITY_ADMIN_USER": "admin", "GF_SECURITY_ADMIN_PASSWORD": "grafana"],
                restart: "unless-stopped", containerName: "grafana"),
        ], volumes: ["prom_data"]),
    CorpusCase(
        path: "react-express-mysql/compose.yaml",
        services: [
            "backend": ServiceFacts(
                build: "./backend", ports: ["80:80/tcp", "9229:9229/tcp", "9230:9230/tcp"],
                volumes: [
                    "bind ./backend/src /code/src ro", "bind ./backend/package.json /code/package.json",
                    "bind ./backend/package-lock.json /code/package-lock.json",
                    "volume back-notused /opt/app/node_modules",
                ],
                networks: ["private", "public"],
                environment: [
                    "DATABASE_DB": "example", "DATABASE_USER": "root", "DATABASE_PASSWORD": "/run/secrets/db-password",
                    "DATABASE_HOST": "db", "NODE_ENV": "development",
                ],
                dependsOn: ["db"], command: ["npm", "run", "start-watch"]),
            "db": ServiceFacts(
                image: "mariadb:10.6.4-focal", volumes: ["volume db-data /var/lib/mysql"], networks: ["private"],
                environment: mysqlEnvironment, command: mariadbCommand, restart: "always"),
            "frontend": ServiceFacts(
                build: "./frontend", ports: ["3000:3000/tcp"],
                volumes: ["bind ./frontend/src /code/src", "volume - /code/node_modules"],
                networks: ["public"], dependsOn: ["backend"]),
        ], volumes: ["back-notused", "db-data"], networks: ["private", "public"], secrets: ["db-password"]),
    CorpusCase(
        path: "react-nginx/compose.yaml",
        services: [
            "frontend": ServiceFacts(build: ".", ports: ["80:80/tcp"], containerName: "frontend")
        ]),
    CorpusCase(
        path: "sparkjava-mysql/compose.yaml",
        services: [
            "backend": ServiceFacts(build: "./backend", ports: ["8080:8080/tcp"]),
            "db": ServiceFacts(
                image: "mariadb:10.6.4-focal", volumes: ["volume db-data /var/lib/mysql"],
                environment: mysqlEnvironment,
                expose: ["3306", "33060"], restart: "always"),
        ], volumes: ["db-data"], secrets: ["db-password"]),
    CorpusCase(
        path: "spring-postgres/compose.yaml",
        services: [
            "backend": ServiceFacts(
                build: "./backend", ports: ["8080:8080/tcp"], networks: ["spring-postgres"],
                environment: ["POSTGRES_DB": "example"]),
            "db": ServiceFacts(
                image: "postgres", volumes: ["volume db-data /var/lib/postgresql/data"], networks: ["spring-postgres"],
                environment: ["POSTGRES_DB": "example", "POSTGRES_PASSWORD_FILE": "/run/secrets/db-password"],
                expose: ["5432"], restart: "always"),
        ], volumes: ["db-data"], networks: ["spring-postgres"], secrets: ["db-password"]),
    CorpusCase(
        path: "vuejs/compose.yaml",
        services: [
            "web": ServiceFacts(
                build: "./vuejs", ports: ["8080:8080/tcp"],
                volumes: ["bind ./vuejs /project", "volume - /project/node_modules"])
        ]),
    CorpusCase(
        path: "wasmedge-mysql-nginx/compose.yml",
        services: [
            "frontend": ServiceFacts(
                image: "nginx:alpine", ports: ["8090:80/tcp"], volumes: ["bind ./frontend /usr/share/nginx/html"]),
            "backend": ServiceFacts(
                image: "demo-microservice", build: "./backend", ports: ["8080:8080/tcp"],
                environment: ["DATABASE_URL": "mysql://root:whalehello@db:3306/mysql", "RUST_BACKTRACE": "full"],
                restart: "unless-stopped"),
            "db": ServiceFacts(image: "mariadb:10.9", environment: ["MYSQL_ROOT_PASSWORD": "whalehello"]),
        ]),
    CorpusCase(
        path: "wordpress-mysql/compose.yaml",
        services: [
            "db": ServiceFacts(
                image: "mariadb:10.6.4-focal", volumes: ["volume db_data /var/lib/mysql"],
                environment: [
                    "MYSQL_ROOT_PASSWORD": "somewordpress", "MYSQL_DATABASE": "wordpress", "MYSQL_USER": "wordpress",
                    "MYSQL_PASSWORD": "wordpress",
                ],
                command: mariadbCommand, expose: ["3306", "33060"], restart: "always"),
            "wordpress": ServiceFacts(
                image: "wordpress:latest", ports: ["80:80/tcp"],
                environment: [
                    "WORDPRESS_DB_HOST": "db", "WORDPRESS_DB_USER": "wordpress", "WORDPRESS_DB_PASSWORD": "wordpress",
                    "WORDPRESS_DB_NAME": "wordpress",
                ],
                restart: "always"),
        ], volumes: ["db_data"]),
]

/// Every file of the corpus loads, and says what it says.
@Suite("corpus")
struct CorpusTests {
    @Test("the corpus is there")
    func corpusFound() {
        #expect(
            CorpusFiles.corpus.count >= 20,
            "found \(CorpusFiles.corpus.count) files under \(CorpusFiles.corpusDirectory)")
    }

    @Test("every corpus file loads", arguments: CorpusFiles.corpus.map(CorpusFiles.shortName))
    func loads(_ name: String) throws {
        let loaded = try CorpusFiles.load("\(CorpusFiles.corpusDirectory)/\(name)")
        #expect(!loaded.project.services.isEmpty)
        #expect(loaded.project.graph.services == loaded.serviceNames)
    }

    @Test("every corpus file has a row in the table")
    func tableCoversCorpus() {
        let rows = Set(corpusCases.map { "awesome-compose/\($0.path)" })
        let files = Set(CorpusFiles.corpus.map(CorpusFiles.shortName))
        #expect(files.subtracting(rows).sorted() == [])
        #expect(rows.subtracting(files).sorted() == [])
    }

    @Test("each file's services, images, ports, volumes, networks and environment", arguments: corpusCases)
    func values(_ row: CorpusCase) throws {
        let file = "\(CorpusFiles.corpusDirectory)/awesome-compose/\(row.path)"
        let directory = (file as NSString).deletingLastPathComponent
        let project = try CorpusFiles.load(file).project
        #expect(project.serviceNames == row.services.keys.sorted())
        for (name, expected) in row.services.sorted(by: { $0.key < $1.key }) {
            guard let service = project.services[name] else { continue }
            let actual = ServiceFacts(service, directory: directory)
            #expect(actual == expected, "service \(name)")
        }
        #expect(project.volumes.keys.sorted() == row.volumes)
        #expect(project.networks.keys.sorted() == row.networks)
        #expect(project.secrets.keys.sorted() == row.secrets)
        // Host names of resources carry the project name (the directory's, cleaned).
        let projectName = project.name.rawValue
        #expect(projectName == ProjectName.fromDirectory((directory as NSString).lastPathComponent)?.rawValue)
        for (key, volume) in project.volumes { #expect(volume.name == "\(projectName)_\(key)") }
        for (key, network) in project.networks { #expect(network.name == "\(projectName)_\(key)") }
    }

    @Test("details the table does not hold")
    func details() throws {
        let base = "\(CorpusFiles.corpusDirectory)/awesome-compose"
        // Healthchecks, durations in nanoseconds.
        let mssql = try #require(try CorpusFiles.load("\(base)/aspnet-mssql/compose.yaml").project.services["db"])
        #expect(
            mssql.healthcheck
                == Healthcheck(
                    test: [
                        "CMD-SHELL",
                        "/opt/mssql-tools/bin/sqlcmd -S localhost -U sa -P example_123 -Q 'SELECT 1' || exit 1",
                    ],
                    interval: 10_000_000_000, timeout: 3_000_000_000, retries: 10, startPeriod: 10_000_000_000))
        let golang = try CorpusFiles.load("\(base)/nginx-golang-postgres/compose.yaml").project
        #expect(
            golang.services["db"]?.healthcheck
                == Healthcheck(
                    test: ["CMD", "pg_isready"], interval: 10_000_000_000, timeout: 5_000_000_000, retries: 5))
        #expect(golang.services["db"]?.user == "postgres")
        #expect(golang.services["backend"]?.dependsOn == ["db": Dependency(condition: .healthy)])
        #expect(
            golang.services["backend"]?.build
                == Build(context: "\(base)/nginx-golang-postgres/backend", dockerfile: "Dockerfile", target: "builder"))
        #expect(golang.services["backend"]?.secrets == [FileReference(source: "db-password")])
        #expect(golang.secrets["db-password"]?.source == .file("\(base)/nginx-golang-postgres/db/password.txt"))
        // `$$` in the healthcheck is a literal `$`.
        let aspnet = try CorpusFiles.load("\(base)/nginx-aspnet-mysql/compose.yaml").project
        #expect(aspnet.services["db"]?.healthcheck?.test == mysqlPing)
        #expect(aspnet.services["db"]?.healthcheck?.interval == 3_000_000_000)
        // The pihole file's static address and subnet.
        let pihole = try CorpusFiles.load("\(base)/pihole-cloudflared-DoH/compose.yaml").project
        #expect(
            pihole.services["cloudflared"]?.networks == [ServiceNetwork(network: "dns-net", ipv4Address: "172.20.0.2")])
        #expect(pihole.networks["dns-net"]?.ipam == [IPAMConfig(subnet: "172.20.0.0/24")])
        #expect(pihole.services["pihole"]?.capAdd == ["NET_ADMIN"])
        // Build details.
        let react = try CorpusFiles.load("\(base)/react-express-mysql/compose.yaml").project
        #expect(react.services["backend"]?.build?.args == ["NODE_ENV": "development"])
        #expect(react.services["backend"]?.build?.target == "development")
        let flask = try CorpusFiles.load("\(base)/flask-redis/compose.yaml").project
        #expect(flask.services["web"]?.stopSignal == "SIGINT")
        #expect(flask.graph.startLevels == [["redis"], ["web"]])
        let nodejs = try CorpusFiles.load("\(base)/nginx-nodejs-redis/compose.yaml").project
        #expect(nodejs.services["web1"]?.hostname == "web1")
        #expect(nodejs.graph.startLevels == [["redis", "web1", "web2"], ["nginx"]])
    }

    @Test("the pihole file takes its variables from its .env; the shell still wins")
    func piholeDotEnv() throws {
        let file = "\(CorpusFiles.corpusDirectory)/awesome-compose/pihole-cloudflared-DoH/compose.yaml"
        let pihole = try #require(
            try CorpusFiles.load(file, environment: ["TIMEZONE": "Europe/Paris"]).project.services["pihole"])
        #expect(pihole.environment["TZ"] == "Europe/Paris")
        #expect(pihole.environment["WEBPASSWORD"] == "changeit")
    }
}
