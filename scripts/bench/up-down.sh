#!/usr/bin/env bash
# `berth up -d` + `berth down` of a 3-service and a 20-service busybox stack
# (services that trap SIGTERM, no healthchecks, one network, one named
# volume, one published port), a no-op second `up`, and berthd's resident
# memory with the 20-service stack up. The same stacks with docker-compose
# on dockerd when both are installed and dockerd answers; otherwise the
# reference measured on this kind of machine (docker compose: 5.8 s for the
# 20-service stack) is printed and labelled as such. Prints the ratios.
#
#   scripts/bench/up-down.sh [RUNS]
#
# It runs its own berthd (own root, socket, prefix and subnet) and takes it
# all down at the end. Targets: >= 5x docker compose on both stacks, no-op
# up < 100 ms, berthd < 40 MiB with the 20-service stack up.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
scripts/setup.sh >&2
../shared/tools/netguard on >&2 || true
swift build -c release --product berth -Xswiftc -static-stdlib >&2
swift build -c release --product berthd >&2
swift build -c release --product berth-shim >&2
bin=$(swift build -c release --show-bin-path)
[ -f .build/busybox-oci.tar ] || scripts/make-busybox-image.sh .build/busybox-oci.tar >&2

work=$(mktemp -d /tmp/berth-bench-updown.XXXXXX)
prefix=berthb$(printf '%03x' $((RANDOM % 4096)))
export BERTH_ROOT=$work/root BERTH_HOST=$work/berth.sock BERTH_NAME_PREFIX=$prefix BERTH_SUBNET_POOL=10.215.0.0/16/24
cleanup() {
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  for p in 3 20; do (cd "$work/s$p" 2>/dev/null && "$bin/berth" down -v --progress quiet >/dev/null 2>&1) || true; done
  pkill -KILL -f "$work/root" 2>/dev/null || true
  grep " $work" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$prefix" | xargs -r -n1 ip link del 2>/dev/null || true
  nft delete table inet "$prefix" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
mkdir -p "$BERTH_ROOT"
"$bin/berthd" --root "$BERTH_ROOT" --socket "$BERTH_HOST" --name-prefix "$prefix" --subnet-pool "$BERTH_SUBNET_POOL" \
  --log-level warning >"$work/berthd.log" 2>&1 &
daemon=$!
for _ in $(seq 200); do [ -S "$BERTH_HOST" ] && break; sleep 0.05; done
"$bin/berth" image import .build/busybox-oci.tar >/dev/null

stack() { # services port → compose.yaml on stdout
  python3 - "$1" "$2" <<'PY'
import sys
n, port = int(sys.argv[1]), int(sys.argv[2])
print("services:")
for i in range(n):
    print(f"  s{i}:")
    print("    image: busybox")
    print("    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1 & wait; done\"]")
    print("    networks: [net]")
    if i == 0:
        print("    volumes: [\"data:/data\"]")
        print(f"    ports: [\"{port}:80\"]")
print("networks:\n  net: {}\nvolumes:\n  data: {}")
PY
}

for n in 3 20; do
  mkdir -p "$work/s$n"
  stack "$n" $((18000 + n)) > "$work/s$n/compose.yaml"
done

python3 - "$runs" "$bin/berth" "$work" "$daemon" <<'PY'
import os, shutil, statistics, subprocess, sys, time
runs, berth, work, daemon = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def timed(cmd, cwd):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start

def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0

results = {}
for n in (3, 20):
    cwd = f"{work}/s{n}"
    cycles, noops = [], []
    for _ in range(runs):
        t = timed([berth, "up", "-d", "--progress", "quiet"], cwd)
        noops.append(timed([berth, "up", "-d", "--progress", "quiet"], cwd))
        if n == 20:
            results["rss"] = rss(daemon)
        t += timed([berth, "down", "--progress", "quiet"], cwd)
        cycles.append(t)
    results[n] = statistics.median(cycles)
    results[f"noop{n}"] = statistics.median(noops)
    print(f"berth {n:2d} services: up -d + down median {results[n]*1000:7.0f} ms; no-op up median {results[f'noop{n}']*1000:5.0f} ms")
    subprocess.run([berth, "down", "-v", "--progress", "quiet"], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

docker = {}
ok = shutil.which("docker-compose") and subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
if ok:
    subprocess.run(["docker", "load", "-i", ".build/busybox-oci.tar"], stdout=subprocess.DEVNULL)
    for n in (3, 20):
        cwd = f"{work}/s{n}"
        cycles = [timed(["docker-compose", "up", "-d"], cwd) + timed(["docker-compose", "down"], cwd) for _ in range(runs)]
        docker[n] = statistics.median(cycles)
        subprocess.run(["docker-compose", "down", "-v"], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"docker-compose {n:2d} services: up -d + down median {docker[n]*1000:7.0f} ms (measured now)")
else:
    docker[20] = 5.8
    print("docker-compose: no dockerd answers here; reference for 20 services: 5800 ms (measured on this machine type, not now)")

for n in (3, 20):
    if n in docker:
        print(f"ratio {n:2d} services: docker compose / berth = {docker[n]/results[n]:.1f}x (target >= 5x)")
print(f"no-op up (20 services): {results['noop20']*1000:.0f} ms (target < 100 ms)")
print(f"berthd resident with 20 services up: {results['rss']:.1f} MiB (target < 40 MiB)")
PY
