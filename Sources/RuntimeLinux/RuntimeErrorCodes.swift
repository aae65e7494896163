import BerthModel
    /// The codes the runtime's errors carry, beside the loader's.
extension BerthError.Code {
    /// The requested static address belongs to another container.
    public static let addressTaken = BerthError.Code("address-taken")
    /// The host address is not one of this machine's.
    public static let addressUnavailable = BerthError.Code("address-unavailable")
    /// A network by that name exists already, or the container is
    /// attached already.
    public static let alreadyExists = BerthError.Code("already-exists")
    /// Any other failure to listen.
    public static let bind = BerthError.Code("bind")
    /// The host's cgroup layout is one crun refuses and cannot be fixed here.
    public static let cgroupSetup = BerthError.Code("cgroup-setup")
    /// A helper command (`tar`, `gzip`) failed.
    public static let command = BerthError.Code("command")
    /// Content whose sha256 is not the one it was named by.
    public static let digestMismatch = BerthError.Code("digest-mismatch")
    /// No subnet left in the pool, or no address left in the subnet.
    public static let exhausted = BerthError.Code("exhausted")
    /// The kernel or a helper program refused (netlink, nft, sysctl).
    public static let host = BerthError.Code("host")
    /// The image is used by containers and cannot be removed.
    public static let inUse = BerthError.Code("in-use")
    /// An archive or layout that is malformed, truncated or not of a known kind.
    public static let invalidArchive = BerthError.Code("invalid-archive")
    /// A name, address or option that is malformed or contradictory.
    public static let invalidArgument = BerthError.Code("invalid-argument")
    /// A volume name the grammar refuses.
    public static let invalidName = BerthError.Code("invalid-name")
    /// An image reference that the grammar refuses.
    public static let invalidReference = BerthError.Code("invalid-reference")
    /// The spec asks for something impossible or malformed.
    public static let invalidSpec = BerthError.Code("invalid-spec")
    /// The container is not in a state that allows the operation.
    public static let invalidState = BerthError.Code("invalid-state")
    /// A file system operation failed.
    public static let io = BerthError.Code("io")
    /// No image, blob or layer by that name or digest.
    public static let notFound = BerthError.Code("not-found")
    /// A subnet overlaps one the host routes or another network uses.
    public static let overlap = BerthError.Code("overlap")
    /// crun (or the shim running it) refused.
    public static let runtime = BerthError.Code("runtime")
    /// The state file could not be read or written.
    public static let state = BerthError.Code("state")
    /// A system call failed.
    public static let system = BerthError.Code("system")
    /// A deadline passed before the awaited state arrived.
    public static let timeout = BerthError.Code("timeout")
    /// A user or group named in the spec is not in the container's rootfs.
    public static let unknownUser = BerthError.Code("unknown-user")
    /// Well-formed, but something this store does not handle.
    public static let unsupported = BerthError.Code("unsupported")
}
