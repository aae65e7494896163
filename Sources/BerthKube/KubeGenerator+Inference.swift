import BerthModel

extension Generation {
    /// The TCP ports of a service that lists none, read from how the other
    /// services call it: `db:5432` in `postgres://u:p@db:5432/app` or
    /// `REDIS=cache:6379`, in an environment value or a command word. On
    /// Berth's DNS a service answers on every port without saying which; a
    /// Service must list them, and compose files seldom `expose` a database.
    /// Each port found is a WARN that says where it came from.
    mutating func inferPorts() {
        for name in selected where (ports[name] ?? []).isEmpty {
            guard let service = project.services[name], service.networkMode != .host else { continue }
            let names = Set([name] + service.networks.flatMap(\.aliases))
            var found: [Int: String] = [:]
            for other in selected where other != name {
                guard let caller = project.services[other] else { continue }
                for key in caller.environment.keys.sorted() {
                    guard let value = caller.environment[key] ?? nil else { continue }
                    for port in Self.ports(calling: names, in: value) where found[port] == nil {
                        found[port] = "\(key) of service \(other)"
                    }
                }
                for word in (caller.entrypoint ?? []) + (caller.command ?? []) {
                    for port in Self.ports(calling: names, in: word) where found[port] == nil {
                        found[port] = "the command of service \(other)"
                    }
                }
            }
            guard !found.isEmpty else { continue }
            ports[name] = found.keys.sorted().map { ServicePort(target: $0, transport: "TCP") }
            for port in found.keys.sorted() {
                warnings.append(
                    "service \(name): no ports or expose: port \(port) is taken from \(found[port] ?? "")"
                        + "; write expose: [\"\(port)\"] to say so")
            }
        }
    }

    /// The ports after `NAME:` in `text`, where NAME stands alone (after the start, `/`, `@`, `=`, `,`, a space or a quote).
    static func ports(calling names: Set<String>, in text: String) -> [Int] {
        guard text.contains(":") else { return [] }
        let characters = Array(text)
        var out: [Int] = []
        for name in names {
            let pattern = Array(name + ":")
            var i = 0
            while i + pattern.count <= characters.count {
                defer { i += 1 }
                guard characters[i..<(i + pattern.count)].elementsEqual(pattern) else { continue }
                if i > 0, !"/@=, '\"".contains(characters[i - 1]) { continue }
                var j = i + pattern.count
                var digits = ""
                while j < characters.count, let digit = characters[j].wholeNumberValue, characters[j].isASCII {
                    digits.append(characters[j])
                    j += 1
                    _ = digit
                }
                if let port = Int(digits), (1...65535).contains(port), j == characters.count || !characters[j].isLetter
                {
                    out.append(port)
                }
            }
        }
        return out
    }
}
