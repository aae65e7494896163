/// Why one service depends on another.
///
/// The raw value is the compose key that declared the edge, so it can be
/// printed in messages as the user wrote it.
public enum DependencyKind: String, Sendable, Hashable, Codable {
    /// `depends_on: [other]` (short or long form).
    case dependsOn = "depends_on"
    /// `links: [other]` or `links: [other:alias]`.
    case links
    /// `network_mode: service:other`.
    case networkMode = "network_mode"
    /// `ipc: service:other`.
    case ipc
    /// `pid: service:other`.
    case pid
    /// `volumes_from: [other]`.
    case volumesFrom = "volumes_from"
}

/// One edge: `from` needs `to` to start first.
public struct DependencyEdge: Sendable, Hashable, Codable {
    /// The service that depends on `to`.
    public var from: String
    /// The service that must start before `from`.
    public var to: String
    /// The compose key that declared the edge.
    public var kind: DependencyKind
    /// Where the edge was declared, when it came from a file.
    public var location: SourceLocation?

    /// Creates an edge saying that `from` needs `to` to start first.
    public init(from: String, to: String, kind: DependencyKind, location: SourceLocation? = nil) {
        self.from = from
        self.to = to
        self.kind = kind
        self.location = location
    }
}

/// The services of a project and the start-order constraints between them.
///
/// A pure, acyclic value: building one with a cycle throws. Services are kept
/// sorted by name; every answer is deterministic. All algorithms are iterative
/// and O(V + E), so very long chains need no deep recursion.
public struct DependencyGraph: Sendable, Hashable {
    /// Every service, sorted by name, without duplicates.
    public let services: [String]
    /// The edges kept: both ends known, one per (from, to) pair (the first one
    /// given wins), sorted by `from` then `to`.
    public let edges: [DependencyEdge]
    /// Start order: levels; every service's dependencies are in earlier
    /// levels, so no edge joins two services of one level; each level is
    /// sorted by name; each service sits in the earliest level possible
    /// (longest-path layering). Services in one level may start in parallel.
    public let startLevels: [[String]]

    /// Name to index into `services`.
    private let index: [String: Int]
    /// For each service, the indices of its direct dependencies (ascending,
    /// hence sorted by name), with the index into `edges` of the edge.
    private let dependencyTable: [[(service: Int, edge: Int)]]
    /// For each service, the indices of its direct dependents (ascending).
    private let dependentTable: [[Int]]

    /// Builds the graph; throws `BerthError(.cycle, ...)` when the edges form a
    /// cycle (a self-loop counts). Edges naming unknown services are ignored
    /// (the loader reports those); when several edges join the same pair, the
    /// first one given is kept.
    public init(services: [String], edges: [DependencyEdge]) throws(BerthError) {
        self.init(unchecked: services, edges: edges)
        let placed = startLevels.reduce(0) { $0 + $1.count }
        if placed != self.services.count {
            throw cycleError()
        }
    }

    /// Builds the graph without reporting cycles; services on or behind a
    /// cycle are then missing from `startLevels`. Callers check that.
    private init(unchecked serviceList: [String], edges edgeList: [DependencyEdge]) {
        let sorted = Array(Set(serviceList)).sorted()
        var index: [String: Int] = [:]
        index.reserveCapacity(sorted.count)
        for (position, name) in sorted.enumerated() {
            index[name] = position
        }

        // Keep known, first-given edges, then order them canonically.
        struct Pair: Hashable { var from: Int; var to: Int }
        var seen: Set<Pair> = []
        var kept: [(pair: Pair, edge: DependencyEdge)] = []
        for edge in edgeList {
            guard let from = index[edge.from], let to = index[edge.to] else { continue }
            let pair = Pair(from: from, to: to)
            if seen.insert(pair).inserted {
                kept.append((pair, edge))
            }
        }
        kept.sort { ($0.pair.from, $0.pair.to) < ($1.pair.from, $1.pair.to) }

        var dependencyTable = [[(service: Int, edge: Int)]](repeating: [], count: sorted.count)
        var dependentTable = [[Int]](repeating: [], count: sorted.count)
        // `kept` is sorted by (from, to), so each dependency list comes out
        // ascending; dependents are appended in ascending `from` order.
        for (position, entry) in kept.enumerated() {
            dependencyTable[entry.pair.from].append((entry.pair.to, position))
            dependentTable[entry.pair.to].append(entry.pair.from)
        }

        self.services = sorted
        self.edges = kept.map(\.edge)
        self.index = index
        self.dependencyTable = dependencyTable
        self.dependentTable = dependentTable
        self.startLevels = Self.layers(
            names: sorted, dependencies: dependencyTable, dependents: dependentTable)
    }

    /// Longest-path layering by Kahn's algorithm: a service's level is one
    /// more than the highest level among its dependencies (0 with none).
    /// Services on or behind a cycle are left out.
    private static func layers(
        names: [String], dependencies: [[(service: Int, edge: Int)]], dependents: [[Int]]
    ) -> [[String]] {
        var pending = dependencies.map(\.count)
        var current = pending.indices.filter { pending[$0] == 0 }
        var levels: [[String]] = []
        while !current.isEmpty {
            current.sort()
            levels.append(current.map { names[$0] })
            var next: [Int] = []
            for service in current {
                for dependent in dependents[service] {
                    pending[dependent] -= 1
                    if pending[dependent] == 0 {
                        next.append(dependent)
                    }
                }
            }
            current = next
        }
        return levels
    }

    /// Direct dependencies of `service`, sorted; empty for an unknown name.
    public func dependencies(of service: String) -> [String] {
        guard let position = index[service] else { return [] }
        return dependencyTable[position].map { services[$0.service] }
    }

    /// Direct dependents of `service` (those that need it), sorted; empty for
    /// an unknown name.
    public func dependents(of service: String) -> [String] {
        guard let position = index[service] else { return [] }
        return dependentTable[position].map { services[$0] }
    }

    /// Stop order: the reverse of `startLevels` (dependents stop first).
    public var stopLevels: [[String]] {
        startLevels.reversed()
    }

    /// The services selected plus everything they depend on, transitively
    /// (with `noDeps`, only the selected ones). Unknown names are ignored.
    /// Returns sorted names without duplicates.
    public func selecting(_ names: [String], noDeps: Bool) -> [String] {
        var chosen = [Bool](repeating: false, count: services.count)
        var stack: [Int] = []
        for name in names {
            guard let position = index[name], !chosen[position] else { continue }
            chosen[position] = true
            stack.append(position)
        }
        if !noDeps {
            while let service = stack.popLast() {
                for dependency in dependencyTable[service] where !chosen[dependency.service] {
                    chosen[dependency.service] = true
                    stack.append(dependency.service)
                }
            }
        }
        return services.indices.filter { chosen[$0] }.map { services[$0] }
    }

    /// The graph restricted to `names` (unknown names ignored; edges to
    /// services outside are dropped). Levels are recomputed for the subgraph.
    public func subgraph(_ names: Set<String>) -> DependencyGraph {
        // A subgraph of an acyclic graph is acyclic, so no check is needed.
        DependencyGraph(
            unchecked: services.filter { names.contains($0) },
            edges: edges.filter { names.contains($0.from) && names.contains($0.to) })
    }

    /// Two graphs are equal when they have the same services and edges (all
    /// other state is derived from those).
    public static func == (lhs: DependencyGraph, rhs: DependencyGraph) -> Bool {
        lhs.services == rhs.services && lhs.edges == rhs.edges
    }

    /// Hashes the services and edges, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(services)
        hasher.combine(edges)
    }

    // MARK: - Cycle reporting

    /// Describes one cycle, deterministically: the smallest name that lies on
    /// any cycle, then the shortest cycle through it (ties broken by name).
    private func cycleError() -> BerthError {
        let component = stronglyConnectedComponents()
        var componentSize = [Int](repeating: 0, count: services.count)
        for id in component {
            componentSize[id] += 1
        }
        // Services are indexed in name order, so the first hit is the smallest.
        let start = services.indices.first { service in
            componentSize[component[service]] > 1
                || dependencyTable[service].contains { $0.service == service }
        }
        guard let start, let cycle = shortestCycle(through: start, within: component) else {
            // Unreachable when called after a failed layering; still report.
            return BerthError(.cycle, "dependency cycle")
        }

        let route = (cycle.map { services[$0] } + [services[start]]).joined(separator: " -> ")
        let details = cycle.indices.map { step -> String in
            let from = cycle[step]
            let to = step + 1 < cycle.count ? cycle[step + 1] : start
            let edge = edgeBetween(from, to)
            var text = "\(services[from]) -> \(services[to]): \(edge?.kind.rawValue ?? "?")"
            if let location = edge?.location {
                text += " at \(location)"
            }
            return text
        }
        let firstEdge = cycle.first.flatMap { from in
            edgeBetween(from, cycle.count > 1 ? cycle[1] : start)
        }
        return BerthError(
            .cycle,
            "dependency cycle: \(route) (\(details.joined(separator: "; ")))",
            location: firstEdge?.location)
    }

    /// The edge kept for the pair, if any.
    private func edgeBetween(_ from: Int, _ to: Int) -> DependencyEdge? {
        dependencyTable[from].first { $0.service == to }.map { edges[$0.edge] }
    }

    /// Breadth-first search from `start` along dependency edges inside its
    /// component, neighbours in name order, until an edge leads back to
    /// `start`. Returns the services of the cycle starting with `start`
    /// (without repeating it at the end).
    private func shortestCycle(through start: Int, within component: [Int]) -> [Int]? {
        var parent = [Int](repeating: -1, count: services.count)
        var visited = [Bool](repeating: false, count: services.count)
        visited[start] = true
        var queue = [start]
        var head = 0
        while head < queue.count {
            let service = queue[head]
            head += 1
            for dependency in dependencyTable[service] {
                let next = dependency.service
                if next == start {
                    var path = [service]
                    var step = service
                    while step != start {
                        step = parent[step]
                        path.append(step)
                    }
                    return path.reversed()
                }
                if !visited[next] && component[next] == component[start] {
                    visited[next] = true
                    parent[next] = service
                    queue.append(next)
                }
            }
        }
        return nil
    }

    /// Tarjan's algorithm with an explicit stack: a component id per service.
    private func stronglyConnectedComponents() -> [Int] {
        let count = services.count
        var order = [Int](repeating: -1, count: count)  // discovery index, -1 = unseen
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var component = [Int](repeating: -1, count: count)
        var tarjanStack: [Int] = []
        var nextOrder = 0
        var nextComponent = 0

        for root in 0..<count where order[root] == -1 {
            // Each frame: a service and how many of its dependencies were tried.
            var frames: [(service: Int, next: Int)] = [(root, 0)]
            order[root] = nextOrder
            low[root] = nextOrder
            nextOrder += 1
            tarjanStack.append(root)
            onStack[root] = true

            while let frame = frames.last {
                let service = frame.service
                let neighbours = dependencyTable[service]
                if frame.next < neighbours.count {
                    frames[frames.count - 1].next += 1
                    let next = neighbours[frame.next].service
                    if order[next] == -1 {
                        order[next] = nextOrder
                        low[next] = nextOrder
                        nextOrder += 1
                        tarjanStack.append(next)
                        onStack[next] = true
                        frames.append((next, 0))
                    } else if onStack[next] {
                        low[service] = min(low[service], order[next])
                    }
                    continue
                }
                frames.removeLast()
                if let caller = frames.last {
                    low[caller.service] = min(low[caller.service], low[service])
                }
                if low[service] == order[service] {
                    while let member = tarjanStack.popLast() {
                        onStack[member] = false
                        component[member] = nextComponent
                        if member == service { break }
                    }
                    nextComponent += 1
                }
            }
        }
        return component
    }
}

/// The graph travels as its services and edges; decoding builds it again
/// (and so checks again that it has no cycle).
extension DependencyGraph: Codable {
    private enum CodingKeys: String, CodingKey { case services, edges }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            services: container.decode([String].self, forKey: .services),
            edges: container.decode([DependencyEdge].self, forKey: .edges))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(services, forKey: .services)
        try container.encode(edges, forKey: .edges)
    }
}
