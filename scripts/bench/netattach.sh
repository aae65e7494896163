#!/usr/bin/env bash
# Times plugging a container into a bridge network: one bridge, then COUNT
# times a network namespace plus HostOS's attachContainer (veth pair, host
# end on the bridge, address, default route), over netlink with no process
# started. In the same run it times the same attach one netlink operation
# at a time, and REFERENCE times by running ip(8) as a script would, and
# prints both ratios. Target: attachContainer median <= 5 ms (exit 1 if
# missed). Needs root; leaves no berth* link, namespace file or mount.
#
#   scripts/bench/netattach.sh [COUNT] [REFERENCE]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "netattach: needs root" >&2; exit 2; }
count=${1:-100}
reference=${2:-20}
prefix=$(printf 'berth%04x' $(( (RANDOM << 15 | RANDOM) & 0xffff )))
root=$(mktemp -d /tmp/berth-netattach.XXXXXX)

# The bench deletes what it made; this is the net for a bench that was
# killed or crashed: every link with its prefix, every namespace file.
cleanup() {
  ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | { grep "^$prefix" || true; } |
    while read -r link; do ip link delete "$link" 2>/dev/null || true; done
  for file in "$root"/netns/*; do
    [ -e "$file" ] || continue
    umount -l "$file" 2>/dev/null || true
    rm -f "$file"
  done
  rmdir "$root/netns" "$root" 2>/dev/null || true
}
trap cleanup EXIT

scripts/setup.sh
. scripts/bench/lib-tool.sh
"$(bench_tool berth-netattach-bench)" \
  --count "$count" --reference "$reference" --prefix "$prefix" --root "$root"
