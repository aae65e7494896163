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
# Builds berth, berthd and berth-shim (release) in .build-bench, never in
# the default .build. Runs its own berthd (own root, socket, prefix,
# subnet and cgroup parent) and takes it all down at the end, also when a
# step fails: no links with its prefix, no mounts under its root, no
# processes, no nft table. Needs root. Targets: >= 5x docker compose on
# both stacks, no-op up < 100 ms, berthd < 40 MiB with the 20-service
# stack up.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
if [ "$(id -u)" != 0 ]; then
  echo "up-down: needs root (berthd makes namespaces, bridges and mounts)" >&2
  exit 1
fi
scripts/setup.sh >&2
../shared/tools/netguard on >&2 || true
. scripts/bench/lib-berthd.sh
bench_build
bench_image
export BENCH_IMAGE=$image
bench_start updown b "${BERTH_BENCH_POOL:-10.215.0.0/17/24}"
"$bin/berth" image import "$image" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

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
        print(f"    ports: [\"127.0.0.1:{port}:80\"]")
print("networks:\n  net: {}\nvolumes:\n  data: {}")
PY
}

for n in 3 20; do
  mkdir -p "$work/projects/s$n"
  stack "$n" "$(free_port)" >"$work/projects/s$n/compose.yaml"
done

python3 - "$runs" "$bin/berth" "$work" "$daemon" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
runs, berth, work, daemon = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def run(cmd, cwd):
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.stderr.write(f"up-down: `{' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))}` in {cwd} "
                         f"failed ({p.returncode}):\n{p.stderr[-2000:]}{p.stdout[-1000:]}")
        sys.exit(1)
    return took, p.stdout

def timed(cmd, cwd):
    return run(cmd, cwd)[0]

def rss(pid):
    if not os.path.exists(f"/proc/{pid}"):
        sys.stderr.write(f"up-down: berthd (pid {pid}) is gone\n")
        sys.exit(1)
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0

def running(cwd):
    out = run([berth, "ps", "--format", "json"], cwd)[1]
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    return sum(1 for r in rows if r.get("State") == "running")

results = {}
for n in (3, 20):
    cwd = f"{work}/projects/s{n}"
    ups, downs, noops = [], [], []
    for i in range(runs):
        ups.append(timed([berth, "up", "-d", "--progress", "quiet"], cwd))
        noops.append(timed([berth, "up", "-d", "--progress", "quiet"], cwd))
        up = running(cwd)
        if up != n:
            sys.stderr.write(f"up-down: {up} of {n} containers running after `berth up -d`\n")
            sys.exit(1)
        if n == 20:
            results["rss"] = max(results.get("rss", 0), rss(daemon))
        downs.append(timed([berth, "down", "--progress", "quiet"], cwd))
    cycles = [u + d for u, d in zip(ups, downs)]
    results[n] = statistics.median(cycles)
    results[f"noop{n}"] = statistics.median(noops)
    print(f"berth {n:2d} services: up -d + down median {results[n]*1000:6.0f} ms "
          f"(up {statistics.median(ups)*1000:.0f}, down {statistics.median(downs)*1000:.0f}; "
          f"cycles {min(cycles)*1000:.0f}-{max(cycles)*1000:.0f} ms over {runs} runs); "
          f"no-op up median {results[f'noop{n}']*1000:.0f} ms", flush=True)
    timed([berth, "down", "-v", "--progress", "quiet"], cwd)

docker = {}
ok = shutil.which("docker-compose") and shutil.which("docker") and subprocess.run(
    ["docker", "info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
if ok:
    subprocess.run(["docker", "load", "-i", os.environ.get("BENCH_IMAGE", ".build/busybox-oci.tar")], stdout=subprocess.DEVNULL)
    for n in (3, 20):
        cwd = f"{work}/projects/s{n}"
        cycles = [timed(["docker-compose", "up", "-d"], cwd) + timed(["docker-compose", "down"], cwd) for _ in range(runs)]
        docker[n] = statistics.median(cycles)
        subprocess.run(["docker-compose", "down", "-v"], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"docker-compose {n:2d} services: up -d + down median {docker[n]*1000:6.0f} ms (measured now)")
else:
    docker[20] = 5.8
    print("docker compose: no dockerd answers on this machine (not installed); using the REFERENCE for 20 services: "
          "5800 ms up -d + down (measured earlier on this machine type, not in this run); no reference for 3 services")

for n in (3, 20):
    if n in docker:
        label = "measured now" if ok else "against the 5.8 s reference"
        print(f"ratio {n:2d} services: docker compose / berth = {docker[n]/results[n]:.1f}x ({label}; target >= 5x)")
print(f"no-op up (20 services): {results['noop20']*1000:.0f} ms (target < 100 ms)")
print(f"berthd resident with 20 services up: {results['rss']:.1f} MiB (target < 40 MiB)")
PY
