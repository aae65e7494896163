import Testing

@testable import BerthModel

/// An edge declared in compose.yaml at `line:column`, or with no location.
private func edge(
    _ from: String, _ to: String, _ kind: DependencyKind = .dependsOn,
    line: Int? = nil, column: Int = 7
) -> DependencyEdge {
    DependencyEdge(
        from: from, to: to, kind: kind,
        location: line.map { SourceLocation(file: "compose.yaml", line: $0, column: column) })
}

/// The cycle error thrown for `edges`, or nil when the graph builds.
private func cycleError(services: [String], edges: [DependencyEdge]) -> BerthError? {
    do {
        _ = try DependencyGraph(services: services, edges: edges)
        return nil
    } catch {
        return error
    }
}

@Suite("DependencyGraph")
struct DependencyGraphTests {
    @Test func emptyGraph() throws {
        let graph = try DependencyGraph(services: [], edges: [])
        #expect(graph.services.isEmpty)
        #expect(graph.edges.isEmpty)
        #expect(graph.startLevels.isEmpty)
        #expect(graph.stopLevels.isEmpty)
        #expect(graph.selecting(["web"], noDeps: false).isEmpty)
        #expect(graph.dependencies(of: "web").isEmpty)
        #expect(graph.dependents(of: "web").isEmpty)
    }

    @Test func servicesAreSortedAndDeduplicated() throws {
        let graph = try DependencyGraph(services: ["web", "db", "cache", "db"], edges: [])
        #expect(graph.services == ["cache", "db", "web"])
    }

    @Test func chain() throws {
        // web -> api -> db
        let graph = try DependencyGraph(
            services: ["web", "api", "db"],
            edges: [edge("web", "api"), edge("api", "db")])
        #expect(graph.startLevels == [["db"], ["api"], ["web"]])
        #expect(graph.dependencies(of: "web") == ["api"])
        #expect(graph.dependencies(of: "db").isEmpty)
        #expect(graph.dependents(of: "db") == ["api"])
        #expect(graph.dependents(of: "web").isEmpty)
    }

    @Test func diamondLevels() throws {
        // a needs b and c; b and c need d.
        let graph = try DependencyGraph(
            services: ["d", "c", "b", "a"],
            edges: [edge("a", "c"), edge("a", "b"), edge("b", "d"), edge("c", "d")])
        #expect(graph.startLevels == [["d"], ["b", "c"], ["a"]])
        #expect(graph.dependencies(of: "a") == ["b", "c"])
        #expect(graph.dependents(of: "d") == ["b", "c"])
    }

    @Test func independentServicesShareALevel() throws {
        let graph = try DependencyGraph(services: ["zeta", "alpha", "mid"], edges: [])
        #expect(graph.startLevels == [["alpha", "mid", "zeta"]])
        #expect(graph.stopLevels == [["alpha", "mid", "zeta"]])
    }

    @Test func longestPathLayering() throws {
        // a needs b and c, c needs b: a must wait for c, so it is in level 2,
        // and the unrelated x stays in level 0.
        let graph = try DependencyGraph(
            services: ["a", "b", "c", "x"],
            edges: [edge("a", "b"), edge("a", "c"), edge("c", "b")])
        #expect(graph.startLevels == [["b", "x"], ["c"], ["a"]])
    }

    @Test func levelsRespectEveryEdge() throws {
        let edges = [
            edge("web", "api"), edge("web", "cache"), edge("api", "db"), edge("api", "queue"),
            edge("worker", "queue"), edge("worker", "db"), edge("queue", "db"),
        ]
        let graph = try DependencyGraph(
            services: ["web", "api", "db", "cache", "queue", "worker", "lonely"], edges: edges)
        var level: [String: Int] = [:]
        for (number, names) in graph.startLevels.enumerated() {
            #expect(names == names.sorted())
            for name in names { level[name] = number }
        }
        #expect(level.count == graph.services.count)
        for edge in edges {
            let from = try #require(level[edge.from])
            let to = try #require(level[edge.to])
            #expect(from > to, "\(edge.from) must start after \(edge.to)")
        }
    }

    @Test func selfLoopIsACycle() throws {
        let error = try #require(
            cycleError(services: ["a", "b"], edges: [edge("a", "a", line: 3, column: 5)]))
        #expect(error.code == .cycle)
        #expect(error.message == "dependency cycle: a -> a (a -> a: depends_on at compose.yaml:3:5)")
        #expect(error.location == SourceLocation(file: "compose.yaml", line: 3, column: 5))
        #expect(error.path == nil)
    }

    @Test func threeCycleMessage() throws {
        // Given out of order, starting from c: the report still starts at a.
        let edges = [
            edge("c", "a", .networkMode, line: 14, column: 19),
            edge("b", "c", .links, line: 9),
            edge("a", "b", .dependsOn, line: 4),
        ]
        let error = try #require(cycleError(services: ["c", "b", "a"], edges: edges))
        #expect(error.code == .cycle)
        #expect(
            error.message
                == "dependency cycle: a -> b -> c -> a (a -> b: depends_on at compose.yaml:4:7; "
                + "b -> c: links at compose.yaml:9:7; c -> a: network_mode at compose.yaml:14:19)")
        #expect(error.location == SourceLocation(file: "compose.yaml", line: 4, column: 7))
        #expect(error.path == nil)
        #expect(
            error.line
                == "compose.yaml:4:7: dependency cycle: a -> b -> c -> a (a -> b: depends_on at "
                + "compose.yaml:4:7; b -> c: links at compose.yaml:9:7; c -> a: network_mode at "
                + "compose.yaml:14:19)")
    }

    @Test func cycleWithoutLocations() throws {
        let error = try #require(
            cycleError(services: ["x", "y"], edges: [edge("y", "x", .ipc), edge("x", "y", .pid)]))
        #expect(error.message == "dependency cycle: x -> y -> x (x -> y: pid; y -> x: ipc)")
        #expect(error.location == nil)
    }

    @Test func cycleReachableFromPartOfTheGraph() throws {
        // app -> c -> d -> c; db and web are fine. The cycle is named from c,
        // not from app (which only leads to it).
        let error = try #require(
            cycleError(
                services: ["app", "c", "d", "db", "web"],
                edges: [
                    edge("web", "db"), edge("app", "c", line: 2), edge("c", "d", line: 5),
                    edge("d", "c", .volumesFrom, line: 8),
                ]))
        #expect(
            error.message
                == "dependency cycle: c -> d -> c (c -> d: depends_on at compose.yaml:5:7; "
                + "d -> c: volumes_from at compose.yaml:8:7)")
        #expect(error.location?.line == 5)
    }

    @Test func cycleReportIsDeterministicAndShortest() throws {
        // Two cycles: b -> c -> b and e -> f -> g -> e, plus a long way round
        // b -> x -> y -> b. The smallest name on a cycle is b, and the
        // shortest cycle through it is reported, whatever the edge order.
        let edges = [
            edge("e", "f"), edge("f", "g"), edge("g", "e"),
            edge("b", "x"), edge("x", "y"), edge("y", "b"),
            edge("b", "c"), edge("c", "b"), edge("a", "e"),
        ]
        let services = ["a", "b", "c", "e", "f", "g", "x", "y"]
        let expected = "dependency cycle: b -> c -> b (b -> c: depends_on; c -> b: depends_on)"
        #expect(cycleError(services: services, edges: edges)?.message == expected)
        #expect(cycleError(services: services.reversed(), edges: edges.reversed())?.message == expected)
    }

    @Test func longCycleIsReportedWithoutRecursion() throws {
        let count = 1_000
        let names = (0..<count).map { "s\(String($0 + 10_000))" }  // fixed width, sorted
        var edges = (0..<count - 1).map { edge(names[$0], names[$0 + 1]) }
        edges.append(edge(names[count - 1], names[0]))
        let error = try #require(cycleError(services: names, edges: edges))
        #expect(error.message.hasPrefix("dependency cycle: s10000 -> s10001 -> "))
        #expect(error.message.contains("s10999 -> s10000 ("))
    }

    @Test func selectingPullsInDependencies() throws {
        let graph = try DependencyGraph(
            services: ["web", "api", "db", "cache", "admin"],
            edges: [edge("web", "api"), edge("api", "db"), edge("web", "cache"), edge("admin", "db")])
        #expect(graph.selecting(["web"], noDeps: false) == ["api", "cache", "db", "web"])
        #expect(graph.selecting(["api", "admin"], noDeps: false) == ["admin", "api", "db"])
        #expect(graph.selecting(["db", "db", "nope"], noDeps: false) == ["db"])
        #expect(graph.selecting([], noDeps: false).isEmpty)
    }

    @Test func selectingWithNoDeps() throws {
        let graph = try DependencyGraph(
            services: ["web", "api", "db"],
            edges: [edge("web", "api"), edge("api", "db")])
        #expect(graph.selecting(["web"], noDeps: true) == ["web"])
        #expect(graph.selecting(["web", "db", "ghost", "web"], noDeps: true) == ["db", "web"])
    }

    @Test func stopOrderIsReverseOfStartOrder() throws {
        let graph = try DependencyGraph(
            services: ["a", "b", "c", "d", "e"],
            edges: [edge("a", "b"), edge("a", "c"), edge("b", "d"), edge("c", "d")])
        #expect(graph.startLevels == [["d", "e"], ["b", "c"], ["a"]])
        #expect(graph.stopLevels == [["a"], ["b", "c"], ["d", "e"]])
        #expect(graph.stopLevels == Array(graph.startLevels.reversed()))
    }

    @Test func thousandLongChainBuildsInOrder() throws {
        let count = 1_000
        let names = (0..<count).map { "svc\(String($0 + 10_000))" }
        // Each service needs the next one, so the last starts first.
        let edges = (0..<count - 1).map { edge(names[$0], names[$0 + 1]) }
        let built = try DependencyGraph(services: names.shuffled(), edges: edges.shuffled())
        #expect(built.startLevels.count == count)
        #expect(built.startLevels.first == [names[count - 1]])
        #expect(built.startLevels.last == [names[0]])
        #expect(built.selecting([names[0]], noDeps: false).count == count)
        #expect(built.selecting([names[count - 1]], noDeps: false) == [names[count - 1]])
    }

    @Test func duplicateEdgesKeepTheFirst() throws {
        let graph = try DependencyGraph(
            services: ["web", "db"],
            edges: [
                edge("web", "db", .dependsOn, line: 3),
                edge("web", "db", .links, line: 6),
                edge("web", "db", .dependsOn, line: 3),
            ])
        #expect(graph.edges == [edge("web", "db", .dependsOn, line: 3)])
        #expect(graph.dependencies(of: "web") == ["db"])
        #expect(graph.dependents(of: "db") == ["web"])
        #expect(graph.startLevels == [["db"], ["web"]])
    }

    @Test func duplicateEdgesInACycleUseTheFirst() throws {
        let error = try #require(
            cycleError(
                services: ["a", "b"],
                edges: [
                    edge("a", "b", .links, line: 2), edge("a", "b", .dependsOn, line: 3),
                    edge("b", "a", .volumesFrom, line: 8),
                ]))
        #expect(
            error.message
                == "dependency cycle: a -> b -> a (a -> b: links at compose.yaml:2:7; "
                + "b -> a: volumes_from at compose.yaml:8:7)")
    }

    @Test func edgesToUnknownServicesAreIgnored() throws {
        let graph = try DependencyGraph(
            services: ["web", "db"],
            edges: [edge("web", "db"), edge("web", "ghost"), edge("ghost", "web"), edge("ghost", "ghost")])
        #expect(graph.edges == [edge("web", "db")])
        #expect(graph.dependencies(of: "web") == ["db"])
        #expect(graph.dependencies(of: "ghost").isEmpty)
        #expect(graph.startLevels == [["db"], ["web"]])
    }

    @Test func edgesAreSortedByFromThenTo() throws {
        let graph = try DependencyGraph(
            services: ["a", "b", "c"],
            edges: [edge("b", "c"), edge("a", "c"), edge("a", "b")])
        #expect(graph.edges.map { "\($0.from)>\($0.to)" } == ["a>b", "a>c", "b>c"])
    }

    @Test func subgraphDropsOutsideEdges() throws {
        let graph = try DependencyGraph(
            services: ["web", "api", "db", "cache"],
            edges: [edge("web", "api"), edge("api", "db"), edge("web", "cache")])
        let sub = graph.subgraph(["web", "cache", "ghost"])
        #expect(sub.services == ["cache", "web"])
        #expect(sub.edges == [edge("web", "cache")])
        #expect(sub.startLevels == [["cache"], ["web"]])
        #expect(sub.dependencies(of: "web") == ["cache"])
        #expect(sub.dependents(of: "api").isEmpty)

        let lower = graph.subgraph(["api", "db"])
        #expect(lower.startLevels == [["db"], ["api"]])
        #expect(graph.subgraph([]).services.isEmpty)
    }

    @Test func subgraphOfEverythingIsTheSameGraph() throws {
        let graph = try DependencyGraph(
            services: ["a", "b", "c"], edges: [edge("a", "b"), edge("b", "c")])
        #expect(graph.subgraph(Set(graph.services)) == graph)
    }

    @Test func equalityIgnoresInputOrder() throws {
        let one = try DependencyGraph(
            services: ["a", "b", "c"], edges: [edge("a", "b"), edge("a", "c")])
        let two = try DependencyGraph(
            services: ["c", "a", "b"], edges: [edge("a", "c"), edge("a", "b")])
        #expect(one == two)
        #expect(one.hashValue == two.hashValue)
        let three = try DependencyGraph(services: ["a", "b", "c"], edges: [edge("a", "b")])
        #expect(one != three)
    }

    @Test func kindRawValuesAreComposeKeys() {
        let kinds: [DependencyKind] = [.dependsOn, .links, .networkMode, .ipc, .pid, .volumesFrom]
        #expect(
            kinds.map(\.rawValue)
                == ["depends_on", "links", "network_mode", "ipc", "pid", "volumes_from"])
    }
}
