#!/usr/bin/env bash
# Throughput of a published port through berthd's userland proxy (SwiftNIO)
# against a direct connection to the container's address, in the same run:
# one bridge network, one network namespace running a sink, SECONDS-long
# streams alternating direct and proxied for ROUNDS rounds. Prints both
# medians and the ratio. Target: proxy / direct >= 0.7 (exit 1 if missed).
# Needs root; leaves no berth* link, nft table, namespace file or mount.
# Only loopback and the bench's own namespace see any traffic.
#
#   scripts/bench/port-proxy.sh [SECONDS] [ROUNDS] [STREAMS]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "port-proxy: needs root" >&2; exit 2; }
seconds=${1:-3}
rounds=${2:-5}
streams=${3:-1}
prefix=$(printf 'berth%04x' $(( (RANDOM << 15 | RANDOM) & 0xffff )))
table="berth_b${prefix#berth}"
root=$(mktemp -d /tmp/berth-proxy-bench.XXXXXX)

# The bench deletes what it made; this is the net for a bench that was
# killed or crashed: every link with its prefix, its table, its namespace.
cleanup() {
  ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | { grep "^$prefix" || true; } |
    while read -r link; do ip link delete "$link" 2>/dev/null || true; done
  nft delete table inet "$table" 2>/dev/null || true
  for file in "$root"/netns/*; do
    [ -e "$file" ] || continue
    umount -l "$file" 2>/dev/null || true
    rm -f "$file"
  done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

scripts/setup.sh
# Nothing the bench forwards may leave the machine (it sends to loopback and
# its own namespace only; the guard makes sure).
if [ -x ../shared/tools/netguard ]; then ../shared/tools/netguard on >&2; fi
. scripts/bench/lib-tool.sh
"$(bench_tool berth-proxy-bench)" \
  --seconds "$seconds" --rounds "$rounds" --streams "$streams" --prefix "$prefix" --root "$root"
