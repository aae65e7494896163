#!/usr/bin/env bash
# `berth exec` side by side with `docker exec` (dockerd from
# ../shared/tools/anchors), the same busybox image, one running container
# each, in one run:
#   - latency of `exec -T web true` (median of RUNS; target: 5x faster);
#   - keystroke round trip through a pty: a byte written to the CLI's
#     terminal until its echo comes back, 100 keys a second, in
#     `exec web sh` (p50, p99; target: p99 under 2 ms);
#   - throughput of `exec -T web cat /big > /dev/null`, 100 MB (target:
#     at least docker's).
#
#   scripts/bench/exec.sh [RUNS]
#   BERTH_BENCH_BIN=.build/debug scripts/bench/exec.sh   # skip the release build
#
# Builds release binaries in .build-bench, runs its own berthd (own root,
# socket, prefix, subnet) and takes it all down at the end; the docker
# container is removed too. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-30}
if [ "$(id -u)" != 0 ]; then
  echo "exec: needs root (berthd makes namespaces, bridges and mounts)" >&2
  exit 1
fi
scripts/setup.sh >&2
../shared/tools/netguard on >&2 || true
../shared/tools/anchors up >&2
. scripts/bench/lib-berthd.sh
# BERTH_BENCH_BIN: binaries already built (a debug build, for a quick look).
if [ -n "${BERTH_BENCH_BIN:-}" ]; then bin=$BERTH_BENCH_BIN; else bench_build; fi
bench_image
bench_start exec x "${BERTH_BENCH_POOL:-10.216.0.0/17/24}"
"$bin/berth" image import "$image" >/dev/null

docker_name=berth-bench-exec-$$
docker_cleanup() { /usr/bin/docker rm -f "$docker_name" >/dev/null 2>&1 || true; }
trap 'docker_cleanup; bench_cleanup' EXIT

mkdir -p "$work/projects/exec"
cat >"$work/projects/exec/compose.yaml" <<'EOF'
services:
  web:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
EOF
(cd "$work/projects/exec" && "$bin/berth" up -d --progress quiet)
/usr/bin/docker run -d --name "$docker_name" busybox sh -c "trap 'exit 0' TERM; while :; do sleep 1 & wait; done" >/dev/null
(cd "$work/projects/exec" && "$bin/berth" exec -T web sh -c 'head -c 100000000 /dev/zero > /big')
/usr/bin/docker exec "$docker_name" sh -c 'head -c 100000000 /dev/zero > /big'

cd "$work/projects/exec"
python3 - "$runs" "$bin/berth" "$docker_name" <<'PY'
import os, pty, select, statistics, subprocess, sys, time

runs, berth, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
docker = "/usr/bin/docker"
cmds = {
    "berth": lambda *a, tty=False: [berth, "exec"] + ([] if tty else ["-T"]) + ["web", *a],
    "docker": lambda *a, tty=False: [docker, "exec"] + (["-it"] if tty else []) + [name, *a],
}

def ms(seconds): return seconds * 1000

def latency(who):
    times = []
    for i in range(runs + 2):
        t = time.perf_counter()
        subprocess.run(cmds[who]("true"), check=True, stdin=subprocess.DEVNULL)
        if i >= 2: times.append(time.perf_counter() - t)
    return statistics.median(times)

def throughput(who):
    best = None
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(cmds[who]("cat", "/big"), check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return 100.0 / best  # MB/s

def keystrokes(who, count=400):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        argv = cmds[who]("sh", tty=True)
        os.execv(argv[0], argv)
    def read_until(marker, timeout=20):
        seen, end = b"", time.time() + timeout
        while marker not in seen:
            r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
            if not r: raise SystemExit(f"{who}: no {marker!r} in {seen[-200:]!r}")
            seen += os.read(fd, 65536)
        return seen
    read_until(b"# ")
    rtts, next_at = [], time.perf_counter()
    for i in range(count):
        next_at += 0.01  # 100 keys a second
        while time.perf_counter() < next_at: pass
        t = time.perf_counter()
        os.write(fd, b"a")
        read_until(b"a", 5)
        rtts.append(time.perf_counter() - t)
        if i % 50 == 49:
            os.write(fd, b"\x15")  # Ctrl-U: clear the line
            time.sleep(0.02)
            r, _, _ = select.select([fd], [], [], 0.05)
            if r: os.read(fd, 65536)
    os.write(fd, b"\x15exit\r")
    try:
        while os.read(fd, 65536): pass
    except OSError:
        pass
    os.waitpid(pid, 0)
    rtts.sort()
    return rtts[len(rtts) // 2], rtts[int(len(rtts) * 0.99) - 1]

res = {}
for who in ("berth", "docker"):
    res[who] = {"latency": latency(who), "keys": keystrokes(who), "mbps": throughput(who)}
b, d = res["berth"], res["docker"]
print(f"exec -T web true: berth {ms(b['latency']):.1f} ms, docker {ms(d['latency']):.1f} ms: "
      f"{d['latency'] / b['latency']:.1f}x faster (target 5x)")
print(f"keystroke round trip at 100 keys/s: berth p50 {ms(b['keys'][0]):.3f} ms p99 {ms(b['keys'][1]):.3f} ms; "
      f"docker p50 {ms(d['keys'][0]):.3f} ms p99 {ms(d['keys'][1]):.3f} ms (target p99 < 2 ms): "
      f"p99 ratio {d['keys'][1] / b['keys'][1]:.2f}")
print(f"exec -T cat 100 MB: berth {b['mbps']:.0f} MB/s, docker {d['mbps']:.0f} MB/s: "
      f"{b['mbps'] / d['mbps']:.2f}x docker's (target >= 1)")
PY
