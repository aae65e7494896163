#!/usr/bin/env bash
# Old against new, in one run, for a change that must cost no speed (a
# refactoring): `berth config` on a generated 1,000-service file, and
# `up -d` + `down` of a 20-service busybox stack (one network, one named
# volume, one published port), with the release binaries of OLD_REF and of
# this tree in alternating rounds, so that a burst from another tenant of
# the machine falls on both alike. Prints the medians and new/old ratios.
#
#   scripts/bench/compare.sh OLD_REF [ROUNDS]
#
# OLD_REF is checked out in a worktree under /tmp (kept between runs, so a
# second run does not build it again; or BERTH_COMPARE_OLD_DIR) and built there with the same flags
# as this tree (lib-berthd.sh's bench_build). Each up-down round runs its
# own berthd (own root, socket, prefix, subnet) and takes it all down. Needs
# root.
set -euo pipefail
cd "$(dirname "$0")/../.."
old_ref=${1:?usage: scripts/bench/compare.sh OLD_REF [ROUNDS]}
rounds=${2:-7}
if [ "$(id -u)" != 0 ]; then
  echo "compare: needs root (berthd makes namespaces, bridges and mounts)" >&2
  exit 1
fi
scripts/setup.sh >&2
../shared/tools/netguard on >&2 || true
here=$PWD
old_sha=$(git rev-parse --short "$old_ref")
# BERTH_COMPARE_OLD_DIR: a checkout of OLD_REF that is there already (its
# .build-bench then is too).
old_dir=${BERTH_COMPARE_OLD_DIR:-/tmp/berth-bench-compare-$old_sha}
if [ ! -d "$old_dir" ]; then git worktree add --detach "$old_dir" "$old_sha" >&2; fi
if [ "$(git -C "$old_dir" rev-parse --short HEAD)" != "$old_sha" ]; then
  echo "compare: $old_dir is not at $old_sha" >&2
  exit 1
fi
old_bin=$(cd "$old_dir" && . scripts/bench/lib-berthd.sh && bench_build >&2 && echo "$bin")
. scripts/bench/lib-berthd.sh
bench_build
new_bin=$bin
bench_image
out=$(mktemp -d /tmp/berth-bench-compare.XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "old: $old_sha ($old_bin)"
echo "new: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' + changes') ($new_bin)"

mkdir -p "$out/config"
python3 scripts/bench/gen-compose.py 1000 >"$out/config/compose.yaml"
cmp <("$old_bin/berth" -f "$out/config/compose.yaml" config) <("$new_bin/berth" -f "$out/config/compose.yaml" config) >&2 ||
  echo "compare: NOTE: old and new print different configs of the generated file" >&2

mkdir -p "$out/stack"
{
  echo "services:"
  for i in $(seq 0 19); do
    echo "  s$i:"
    echo "    image: busybox"
    echo "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1 & wait; done\"]"
    echo "    networks: [net]"
    if [ "$i" = 0 ]; then
      echo "    volumes: [\"data:/data\"]"
      echo "    ports: [\"127.0.0.1::80\"]"
    fi
  done
  printf 'networks:\n  net: {}\nvolumes:\n  data: {}\n'
} >"$out/stack/compose.yaml"

# One up-down round with the binaries in $1, in a subshell whose exit takes
# its berthd and everything it made away; prints "UP_MS DOWN_MS".
updown_round() {
  (
    bin=$1
    bench_start compare c "${BERTH_BENCH_POOL:-10.221.0.0/17/24}" 2>/dev/null
    "$bin/berth" image import "$image" >/dev/null
    mkdir -p "$work/projects/stack"
    cp "$out/stack/compose.yaml" "$work/projects/stack/"
    cd "$work/projects/stack"
    t0=$(date +%s%N)
    "$bin/berth" up -d --progress quiet
    t1=$(date +%s%N)
    "$bin/berth" down -v --progress quiet
    t2=$(date +%s%N)
    echo "$(((t1 - t0) / 1000000)) $(((t2 - t1) / 1000000))"
  ) 2>>"$out/cleanup.log"
}

: >"$out/updown.txt"
for round in $(seq "$rounds"); do
  # Which side goes first alternates, round by round.
  order=(old new)
  [ $((round % 2)) = 0 ] && order=(new old)
  for side in "${order[@]}"; do
    [ "$side" = old ] && b=$old_bin || b=$new_bin
    echo "$side $(updown_round "$b")" >>"$out/updown.txt"
  done
  echo "compare: round $round of $rounds: $(tail -2 "$out/updown.txt" | tr '\n' ' ')(side up_ms down_ms)" >&2
done
if grep -q "LEFT" "$out/cleanup.log"; then
  echo "compare: a round left something on the host:" >&2
  grep "LEFT" "$out/cleanup.log" >&2
fi

python3 - "$rounds" "$old_bin/berth" "$new_bin/berth" "$out" <<'PY'
import statistics, subprocess, sys, time
rounds, old, new, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
file = f"{out}/config/compose.yaml"
times = {"old": [], "new": []}
for i in range(rounds * 3):
    for side in (("old", "new") if i % 2 == 0 else ("new", "old")):
        t = time.perf_counter()
        subprocess.run([old if side == "old" else new, "-f", file, "config"], check=True, stdout=subprocess.DEVNULL)
        times[side].append(time.perf_counter() - t)
med = {k: statistics.median(v) * 1000 for k, v in times.items()}
print(f"berth config, 1000 services: old {med['old']:.1f} ms, new {med['new']:.1f} ms, new/old {med['new'] / med['old']:.2f}")
rows = [line.split() for line in open(f"{out}/updown.txt") if len(line.split()) == 3]
for index, what in ((1, "up -d"), (2, "down -v")):
    m = {side: statistics.median(int(r[index]) for r in rows if r[0] == side) for side in ("old", "new")}
    print(f"{what}, 20 services: old {m['old']:.0f} ms, new {m['new']:.0f} ms, new/old {m['new'] / m['old']:.2f}"
          f" (medians of {sum(1 for r in rows if r[0] == 'old')} and {sum(1 for r in rows if r[0] == 'new')} rounds)")
PY
