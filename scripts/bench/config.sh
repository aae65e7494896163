#!/usr/bin/env bash
# Times `berth config` on a generated 1,000-service compose file against
# docker compose's Python implementation (`docker-compose config`, Debian's
# docker-compose package, installed when missing) and against a bare libyaml
# parse of the same file (a tiny C program that only reads the events).
# Prints both ratios. Targets: >= 20x faster than docker-compose, within 3x
# of the bare parse.
#
#   scripts/bench/config.sh [SERVICES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
services=${1:-1000}
runs=${2:-15}
out=$(mktemp -d /tmp/berth-bench-config.XXXXXX)
trap 'rm -rf "$out"' EXIT

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "bench: installing docker-compose (Debian) for the reference" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
fi
# berth as a release ships it (`make dist`): one static file, with nothing
# to load or relocate at start-up, which is a good part of a short command.
berth=$(make -s dist)
cc -O2 -o "$out/yaml-events" scripts/bench/yaml-events.c $(pkg-config --cflags --libs yaml-0.1)

mkdir -p "$out/project"
python3 scripts/bench/gen-compose.py "$services" > "$out/project/compose.yaml"
echo "file: $services services, $(wc -l < "$out/project/compose.yaml") lines, $(wc -c < "$out/project/compose.yaml") bytes"

# Each must accept the file before it is timed.
"$berth" -f "$out/project/compose.yaml" config > "$out/berth.yaml"
"$out/yaml-events" "$out/project/compose.yaml" > /dev/null
docker-compose -f "$out/project/compose.yaml" config > "$out/docker-compose.yaml"

# berth and the bare parse run in turns (bare, berth, berth, bare, ...), so
# that a burst from another tenant of the machine falls on both alike; each
# figure is the median of its runs. docker-compose, a hundred times slower,
# runs on its own afterwards.
python3 - "$runs" "$berth" "$out" <<'PY'
import subprocess, sys, time, statistics
runs, berth, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
f = f"{out}/project/compose.yaml"
bare = ["bare libyaml parse", [f"{out}/yaml-events", f]]
ours = ["berth config", [berth, "-f", f, "config"]]
docker = ["docker-compose config", ["docker-compose", "-f", f, "config"]]
def once(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t
times = {bare[0]: [], ours[0]: [], docker[0]: []}
for name, cmd in (bare, ours, docker):
    once(cmd)  # warm the page cache
for i in range(runs):
    for name, cmd in ((bare, ours) if i % 2 == 0 else (ours, bare)):
        times[name].append(once(cmd))
for _ in range(max(3, runs // 5)):
    times[docker[0]].append(once(docker[1]))
result = {}
for name, samples in times.items():
    result[name] = statistics.median(samples)
    print(f"{name:24s} median {result[name]*1000:9.1f} ms  ({len(samples)} runs)")
b, p, d = result[ours[0]], result[bare[0]], result[docker[0]]
print(f"docker-compose config / berth config = {d/b:6.1f}x   (target >= 20x)")
print(f"berth config / bare libyaml parse    = {b/p:6.2f}x   (target <= 3x)")
PY
