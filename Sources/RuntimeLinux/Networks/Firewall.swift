import BerthModel
import Glibc
import HostOS

/// The nftables rules of the networks, all in one `inet` table that Berth
/// owns and nothing else writes, so that replacing it can never disturb
/// another program's rules (netguard's `berth_netguard`, a firewall, docker).
///
/// - postrouting: a non-internal network's subnet leaving by anything but
///   its own bridge is masqueraded, so the far side can answer without
///   knowing our subnets. Loopback is left alone: the host asking a
///   gateway's embedded DNS keeps the gateway as its source address, which
///   tells the DNS which network's names to answer with.
/// - forward: a packet from one Berth bridge to another is dropped, so
///   containers on different networks cannot reach each other (a container
///   on both talks to each side directly, on that side's bridge); an
///   internal network forwards nothing in or out. Nor does a Berth bridge
///   forward to or from any other bridge on the host (docker0, podman's,
///   libvirt's, another berthd's): other engines' containers and Berth's do
///   not reach each other, as docker isolates its own bridges. The bridges
///   that carry a default route are the way out, and are left open.
///
/// Traffic inside one bridge is not routed and passes; with br_netfilter
/// loaded (`bridge-nf-call-iptables=1`) it does traverse the forward hook,
/// but with the bridge as both input and output, which no rule matches.
/// Traffic to the host itself (the gateway, where the embedded DNS
/// answers) is input, not forward, and passes too.
enum FirewallRules {
    /// An `nft -f -` script that replaces the table with the rules for
    /// `networks`, or deletes it when there are none.
    ///
    /// Declaring the table before deleting it makes the delete succeed
    /// whether or not it existed (nft 1.0.6 has no `destroy`); the script
    /// is one transaction, so packets see the old rules or the new, never
    /// a moment without isolation.
    static func script(table: String, networks: [BridgeNetwork], uplinks: [String] = []) -> String {
        var lines = ["table inet \(table)", "delete table inet \(table)"]
        let sorted = networks.sorted { $0.name < $1.name }
        guard !sorted.isEmpty else { return lines.joined(separator: "\n") + "\n" }
        lines.append("table inet \(table) {")
        lines.append("\tchain forward {")
        lines.append("\t\ttype filter hook forward priority filter; policy accept;")
        for network in sorted {
            let bridge = quoted(network.bridge)
            if network.isInternal {
                let comment = "comment \"internal network \(network.name)\""
                lines.append("\t\tiifname \(bridge) oifname != \(bridge) drop \(comment)")
                lines.append("\t\toifname \(bridge) iifname != \(bridge) drop \(comment)")
                continue
            }
            let comment = "comment \"network \(network.name)\""
            let others = sorted.filter { $0.name != network.name }.map { quoted($0.bridge) }
            if !others.isEmpty {
                lines.append("\t\tiifname \(bridge) oifname { \(others.joined(separator: ", ")) } drop \(comment)")
            }
            let open = uplinks.isEmpty ? "" : " {name} != { \(uplinks.map { "\"\($0)\"" }.joined(separator: ", ")) }"
            let engines = "comment \"network \(network.name): no other bridge\""
            lines.append(
                "\t\tiifname \(bridge) oifname != \(bridge) meta oifkind \"bridge\""
                    + open.replacingOccurrences(of: "{name}", with: "oifname") + " drop \(engines)")
            lines.append(
                "\t\toifname \(bridge) iifname != \(bridge) meta iifkind \"bridge\""
                    + open.replacingOccurrences(of: "{name}", with: "iifname") + " drop \(engines)")
        }
        lines.append("\t}")
        lines.append("\tchain postrouting {")
        lines.append("\t\ttype nat hook postrouting priority srcnat; policy accept;")
        for network in sorted where !network.isInternal {
            let bridge = quoted(network.bridge)
            lines.append(
                "\t\tip saddr \(network.subnet) oifname != \(bridge) oifname != \"lo\" masquerade comment \"network \(network.name)\""
            )
        }
        lines.append("\t}")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// An interface name in nft's double quotes; `InterfaceName` admits no
    /// quote, space or backslash, so nothing needs escaping.
    private static func quoted(_ name: InterfaceName) -> String { "\"\(name.rawValue)\"" }

    /// Runs `script` through `nft -f -`, naming the table in the error.
    static func apply(_ script: String, table: String, runner: any CommandRunner) async throws(BerthError) {
        let command = HostOS.Command(["nft", "-f", "-"], standardInput: Array(script.utf8), timeout: .seconds(30))
        do {
            try await runner.run(command).check()
        } catch {
            throw BerthError(.host, "cannot update the nftables table inet \(table)", wrapping: error)
        }
    }
}

/// The host's IPv4 forwarding switch.
enum HostForwarding {
    static let path = "/proc/sys/net/ipv4/ip_forward"

    /// Turns on `net.ipv4.ip_forward`, as `sysctl net.ipv4.ip_forward=1`
    /// does, unless it is on already.
    ///
    /// Why: Linux routes nothing between interfaces by default, and a
    /// container's traffic to anywhere but its own bridge and the host is
    /// routed (masqueraded out of another interface). We never turn it off
    /// again: other networks, docker or the admin may rely on it by then.
    /// What must not leave the machine is stopped by rules, not by this
    /// switch (on the test machines, netguard drops everything forwarded
    /// out of the uplink).
    static func enable() throws(BerthError) {
        if let current = try? AtomicFile.read(path), current.first == UInt8(ascii: "1") { return }
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BerthError(
                .host, "cannot enable IPv4 forwarding (\(path))", cause: HostOSError.describe(errno: errno))
        }
        defer { Glibc.close(fd) }
        let one: [UInt8] = [UInt8(ascii: "1"), UInt8(ascii: "\n")]
        let written = one.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written != one.count {
            throw BerthError(
                .host, "cannot enable IPv4 forwarding (\(path))", cause: HostOSError.describe(errno: errno))
        }
    }
}

/// The interfaces the host's default routes leave by (`/proc/net/route`,
/// `/proc/net/ipv6_route`): a bridge among them is the way out, not another
/// engine's network. Names that nft could not take are left out.
enum Uplinks {
    static func current(proc: String = "/proc") -> [String] {
        var names = Set<String>()
        let v4 = (try? String(contentsOfFile: proc + "/net/route", encoding: .utf8)) ?? ""
        for line in v4.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // Destination 0.0.0.0 with mask 0.0.0.0: a default route.
            if fields.count > 7, fields[1] == "00000000", fields[7] == "00000000" { names.insert(String(fields[0])) }
        }
        let v6 = (try? String(contentsOfFile: proc + "/net/ipv6_route", encoding: .utf8)) ?? ""
        for line in v6.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 10, fields[0] == String(repeating: "0", count: 32), fields[1] == "00",
                fields[9] != "lo"
            {
                names.insert(String(fields[9]))
            }
        }
        return names.filter { name in
            !name.isEmpty && name.count < 16 && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.@".contains($0) }
        }.sorted()
    }
}
