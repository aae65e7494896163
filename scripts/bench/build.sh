#!/usr/bin/env bash
# Image builds: `berth image build` against `docker build` (BuildKit,
# DOCKER_BUILDKIT=1, on the dockerd that ../shared/tools/anchors starts)
# of one 3-stage Dockerfile of 20 steps FROM busybox (files copied, shell
# work in RUN, two stages independent of each other, the third copying
# from both), in interleaved rounds:
#   cold       every step run (--no-cache on both)
#   no-change  the same build again: every step from the cache
#   one-edit   one copied source file edited: the steps after its COPY run
# Prints each median and the ratios docker/berth. When dockerd does not
# answer, prints berth's figures alone and says so.
#
#   scripts/bench/build.sh [ROUNDS]
#
# Builds berth, berthd and berth-shim (release) in .build-bench. Runs its
# own berthd and takes it down at the end (lib-berthd.sh). Needs root.
# Targets: cold no slower than BuildKit, no-change < 150 ms, one-edit >= 2x.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
if [ "$(id -u)" != 0 ]; then
  echo "build: needs root (berthd mounts overlays and runs crun)" >&2
  exit 1
fi
scripts/setup.sh >&2
../shared/tools/netguard on >&2 || true
. scripts/bench/lib-berthd.sh
bench_build
bench_image
bench_start build c "${BERTH_BENCH_POOL:-10.216.0.0/17/24}"
"$bin/berth" image import "$image" >/dev/null

ctx=$work/context
mkdir -p "$ctx/src" "$ctx/assets"
for i in 1 2 3 4 5 6; do printf 'echo source %s\n' "$i" >"$ctx/src/part$i.sh"; done
for i in 1 2 3; do head -c 200000 /dev/urandom | base64 >"$ctx/assets/blob$i.txt"; done
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox AS tools
WORKDIR /tools
COPY assets/ ./assets/
RUN for f in assets/*; do md5sum "$f"; done > sums.txt
RUN mkdir -p /tools/bin && echo '#!/bin/sh' > /tools/bin/hello && chmod +x /tools/bin/hello
RUN i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo $i > count.txt

FROM busybox AS app
ENV APP_HOME=/app
WORKDIR /app
COPY src/part1.sh src/part2.sh ./
COPY src/ ./src/
RUN cat src/*.sh > all.sh && sh all.sh > out.txt
RUN wc -l out.txt > lines.txt
RUN sed 's/source/SOURCE/' out.txt > upper.txt

FROM busybox
LABEL org.example.bench=build
COPY --from=tools /tools/sums.txt /tools/count.txt /opt/
COPY --from=tools /tools/bin/hello /usr/local/bin/hello
COPY --from=app /app/out.txt /app/upper.txt /app/lines.txt /srv/
RUN cat /opt/sums.txt /srv/out.txt > /srv/report.txt
USER nobody
CMD ["cat", "/srv/report.txt"]
DOCKERFILE

docker=/usr/bin/docker
have_docker=0
if [ -x "$docker" ] && "$docker" info >/dev/null 2>&1 && "$docker" image inspect busybox:latest >/dev/null 2>&1; then
  if DOCKER_BUILDKIT=1 "$docker" build -q -t berth-bench-probe "$ctx" >/dev/null 2>"$work/docker-probe.log"; then
    have_docker=1
  else
    bench_log "build: docker build with BuildKit failed: $(tail -2 "$work/docker-probe.log")"
  fi
else
  bench_log "build: dockerd does not answer (or has no busybox:latest); run ../shared/tools/anchors up"
fi

python3 - "$rounds" "$bin/berth" "$ctx" "$have_docker" "$docker" <<'PY'
import os, statistics, subprocess, sys, time
rounds, berth, ctx, have_docker, docker = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5]
env = dict(os.environ, DOCKER_BUILDKIT="1")

def timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.stderr.write(f"build: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}\n")
        sys.exit(1)
    return took

tools = {"berth": lambda extra: [berth, "image", "build", "-q", "-t", "bench:latest"] + extra + [ctx]}
if have_docker:
    tools["docker"] = lambda extra: [docker, "build", "-q", "-t", "bench:latest"] + extra + [ctx]
results = {name: {"cold": [], "no-change": [], "one-edit": []} for name in tools}
edit = os.path.join(ctx, "src", "part6.sh")
for r in range(rounds):
    for name, command in tools.items():
        results[name]["cold"].append(timed(command(["--no-cache"])))
        results[name]["no-change"].append(timed(command([])))
        with open(edit, "a") as f: f.write(f"echo edit {name} {r}\n")
        results[name]["one-edit"].append(timed(command([])))

print(f"image build, median of {rounds} interleaved rounds (3 stages, 20 steps, FROM busybox)")
for case in ["cold", "no-change", "one-edit"]:
    b = statistics.median(results["berth"][case])
    line = f"  {case:10s} berth {b*1000:8.1f} ms"
    if have_docker:
        d = statistics.median(results["docker"][case])
        line += f"   docker buildkit {d*1000:8.1f} ms   ratio docker/berth {d/b:5.2f}x"
    print(line)
if not have_docker:
    print("  (docker build did not run here: no ratios; start it with ../shared/tools/anchors up)")
PY
if [ "$have_docker" = 1 ]; then "$docker" rmi -f bench:latest berth-bench-probe >/dev/null 2>&1 || true; fi
