#!/usr/bin/env bash
# `berth logs` on a big rotated json-file log. One service writes SIZE_MB
# (default 2048) of 100-byte lines, rotated at MAX_SIZE x MAX_FILE (default
# 100m x 25, as issue 16 states it); then prints
#   - `berth logs --tail 5`: the best and the median of 5 runs, and berthd's
#     resident memory (VmRSS) growth over them (targets: < 50 ms, < 16 MiB);
#   - a full `berth logs --no-log-prefix > /dev/null`: its time, and berthd's
#     VmRSS growth over it;
#   - the same two for `docker logs` of a container that wrote the same
#     output with the same log options, side by side, when dockerd runs
#     (../shared/tools/anchors up starts it), and the ratios.
#
#   scripts/bench/logs.sh [SIZE_MB] [MAX_SIZE] [MAX_FILE]
#   e.g. scripts/bench/logs.sh 200          a quick run
#
# Builds in .build-bench (release), runs its own berthd (own root, socket,
# prefix, subnet and cgroup parent) and leaves nothing behind, also when a
# step fails. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mb=${1:-2048}
max_size=${2:-100m}
max_file=${3:-25}
if [ "$(id -u)" != 0 ]; then
  echo "logs: needs root (berthd makes namespaces, bridges and mounts)" >&2
  exit 1
fi
../shared/tools/netguard on >&2 || true
. scripts/bench/lib-berthd.sh
bench_build
bench_image
bench_start logs l "${BERTH_BENCH_POOL:-10.215.64.0/18/24}"
"$bin/berth" image import "$image" >/dev/null

# 99 characters and a newline, SIZE_MB of them in whole lines; `yes` writes
# them as fast as the pipe takes them.
line=$(printf 'log line %090d' 0)
command="yes '$line' | head -n $((size_mb * 1024 * 1024 / 100))"
project=$work/projects/logs
mkdir -p "$project"
cat >"$project/compose.yaml" <<EOF
name: logs
services:
  loud:
    image: busybox
    command: ["sh", "-c", "$command"]
    logging:
      driver: json-file
      options: {max-size: "$max_size", max-file: "$max_file"}
EOF

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_exited() { # CMD...: until the one container of `CMD ps` has exited
  local _
  for _ in $(seq 3600); do
    "$@" | grep -q '"State":"exited"' && return 0
    sleep 1
  done
  bench_log "logs: the writer did not finish within an hour"
  return 1
}
# median_tail CMD...: times of 5 runs of CMD --tail 5, "best median" in ms.
tail_times() {
  local times=() i start
  for i in 1 2 3 4 5; do
    start=$(now_ms)
    "$@" >/dev/null
    times+=($(($(now_ms) - start)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[1], a[3]}'
}

bench_log "logs: writing ${size_mb} MiB of log lines through berth (rotated at $max_size x $max_file)"
start=$(now_ms)
(cd "$project" && "$bin/berth" up -d --progress quiet)
wait_exited bash -c "cd '$project' && '$bin/berth' ps -a --format json"
written_ms=$(($(now_ms) - start))
container_dir=$(ls -d "$BERTH_ROOT"/containers/*/ | head -1)
kept=$(stat -c %s "$container_dir"/json.log* | awk '{s += $1} END {printf "%d", s}')
files=$(ls "$container_dir" | grep -c '^json.log')
bench_log "logs: written in ${written_ms} ms; $files files, $((kept / 1048576)) MiB kept"

cd "$project"
check=$("$bin/berth" logs --tail 5 --no-log-prefix | tr -d '\n' | sed "s/$line//g")
[ -z "$check" ] || { bench_log "logs: --tail 5 printed something else: $check"; exit 1; }
rss0=$(rss_kib "$daemon")
read -r tail_best tail_median < <(tail_times "$bin/berth" logs --tail 5 --no-log-prefix)
rss1=$(rss_kib "$daemon")
start=$(now_ms)
lines=$("$bin/berth" logs --no-log-prefix | wc -l)
full_ms=$(($(now_ms) - start))
rss2=$(rss_kib "$daemon")
cd - >/dev/null

docker_tail="" docker_full=""
if /usr/bin/docker info >/dev/null 2>&1 && /usr/bin/docker image inspect busybox >/dev/null 2>&1; then
  name=berth-bench-logs-$$
  bench_log "logs: the same through docker"
  /usr/bin/docker rm -f "$name" >/dev/null 2>&1 || true
  /usr/bin/docker run -d --name "$name" --log-driver json-file --log-opt max-size="$max_size" \
    --log-opt max-file="$max_file" busybox sh -c "$command" >/dev/null
  /usr/bin/docker wait "$name" >/dev/null
  read -r docker_tail_best docker_tail < <(tail_times /usr/bin/docker logs --tail 5 "$name")
  start=$(now_ms)
  docker_lines=$(/usr/bin/docker logs "$name" 2>&1 | wc -l)
  docker_full=$(($(now_ms) - start))
  /usr/bin/docker rm -f "$name" >/dev/null
else
  bench_log "logs: dockerd does not answer (or has no busybox); run ../shared/tools/anchors up for the side-by-side"
fi

echo "logs: ${size_mb} MiB written, rotated at $max_size x $max_file: $files files, $((kept / 1048576)) MiB kept, $lines lines"
echo "  berth logs --tail 5        best ${tail_best} ms, median ${tail_median} ms (target < 50 ms)"
echo "    berthd VmRSS             ${rss0} KiB before, ${rss1} KiB after: +$(((rss1 - rss0) / 1024)) MiB (target < 16 MiB)"
echo "  berth logs > /dev/null     ${full_ms} ms; berthd VmRSS +$(((rss2 - rss1) / 1024)) MiB"
if [ -n "$docker_full" ]; then
  echo "  docker logs --tail 5       best ${docker_tail_best} ms, median ${docker_tail} ms"
  echo "  docker logs > /dev/null    ${docker_full} ms ($docker_lines lines)"
  awk -v b="$full_ms" -v d="$docker_full" 'BEGIN {printf "  full read, berth / docker: %.2f (target <= 1)\n", b / d}'
fi
