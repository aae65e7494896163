import BerthModel
import HostOS

/// The names Berth gives what it makes on the host for its networks: the
/// bridge, the host ends of veth pairs, the nftables table.
///
/// Interface names are `<prefix><hex>`, 15 bytes in all (the kernel's limit),
/// the hex being a hash of the network name (of network and namespace for a
/// veth). A hash rather than a counter: a restarted berthd, or a teardown
/// that lost its state, finds the same name again from the compose name
/// alone. The default prefix `berth` leaves ten hex digits; a test's
/// `berth1a2b` leaves six, enough for the few objects one test makes.
struct NetworkNaming: Hashable, Sendable {
    /// `berth`, or a caller's longer prefix that starts with it.
    let prefix: String
    /// The nftables table (family inet) that holds all our rules.
    let table: String

    /// Checks both: the prefix must start with `berth` (DESIGN.md: everything
    /// of ours is findable by that), be at most 10 bytes (so at least five
    /// hex digits remain) and hold letters and digits only; the table name
    /// must be an nft identifier, so it can be spliced into a script.
    init(prefix: String, table: String) throws(BerthError) {
        let prefixBytes = Array(prefix.utf8)
        guard prefix.hasPrefix("berth"), prefixBytes.count <= 10, prefixBytes.allSatisfy(ResourceName.isLetterOrDigit)
        else {
            throw BerthError(
                .invalidArgument,
                "invalid interface name prefix \"\(prefix)\": it must start with \"berth\", have at most 10 bytes, letters and digits only"
            )
        }
        let tableBytes = Array(table.utf8)
        let identifier = tableBytes.allSatisfy { ResourceName.isLetterOrDigit($0) || $0 == UInt8(ascii: "_") }
        guard let first = tableBytes.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), identifier,
            tableBytes.count <= 64
        else {
            throw BerthError(
                .invalidArgument,
                "invalid nftables table name \"\(table)\": use letters, digits and '_', not starting with a digit")
        }
        self.prefix = prefix
        self.table = table
    }

    /// The bridge of `network`.
    func bridge(for network: NetworkName) throws(BerthError) -> InterfaceName {
        try interface(hashing: "bridge\u{0}" + network.rawValue)
    }

    /// The host end of the veth that puts the namespace at `netnsPath` on
    /// `network` (one endpoint per namespace and network, hence the pair).
    func hostVeth(network: NetworkName, netnsPath: String) throws(BerthError) -> InterfaceName {
        try interface(hashing: "veth\u{0}" + network.rawValue + "\u{0}" + netnsPath)
    }

    /// Whether `name` is one of ours (for teardown and leftover checks).
    func owns(_ name: String) -> Bool {
        name.hasPrefix(prefix) && name.utf8.count == InterfaceName.maxLength
    }

    private func interface(hashing key: String) throws(BerthError) -> InterfaceName {
        let digits = InterfaceName.maxLength - prefix.utf8.count
        var hex = String(Self.fnv1a(key), radix: 16)
        hex = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        let name = prefix + String(hex.prefix(digits))
        guard let valid = InterfaceName(name) else {
            // Unreachable for a prefix `init` accepted; kept as an error, not a trap.
            throw BerthError(.invalidArgument, "invalid interface name \"\(name)\"")
        }
        return valid
    }

    /// 64-bit FNV-1a: stable across processes and releases, unlike Swift's
    /// seeded `Hasher`, and plenty for spreading a few hundred names.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
