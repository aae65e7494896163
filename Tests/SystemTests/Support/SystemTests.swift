import TestSupport
import Testing

/// Whole stacks as root through the `berth` and `berthd` binaries, one suite
/// at a time: each runs a berthd with containers, probes and clients, and
/// all at once beside the other suites they would starve the
/// timing-sensitive ones on a small machine.
@Suite(.serialized, .requiresRoot("needs root and a real kernel"))
struct SystemTests {}
