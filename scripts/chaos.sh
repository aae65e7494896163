#!/usr/bin/env bash
# An operator's worst day, in rounds (not in CI: minutes long; the suite runs
# a three-round version, ChaosTests):
#
#   scripts/chaos.sh [ROUNDS]          # 20 by default
#
# Each round starts `berth up -d` of a 10-service stack (healthchecks,
# depends_on conditions, a named volume, published ports) and kills berthd
# with SIGKILL at a random moment of it. Every third round a second berthd is
# started on the same root beside the first (exactly one may stay); every
# fourth, five `berth ps` race to autostart a berthd (exactly one may start).
# Then berthd comes back and `berth up -d --wait` must converge: every
# container running and healthy. At the end `down -v` must leave nothing of
# Berth on the host: links, mounts, netns files, cgroups, processes, nft rules.
#
# Prints each round and the figures; exits non-zero if a round did not
# converge or anything was left over.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench/lib-berthd.sh

rounds=${1:-20}
[ "$(id -u)" = 0 ] || { echo "chaos: run as root (berthd makes namespaces, bridges, mounts)" >&2; exit 1; }
../shared/tools/netguard on >/dev/null 2>&1 || true

bench_build
bench_image
bench_start chaos c 10.217.0.0/16/24
"$bin/berth" image import "$image" busybox >/dev/null

project=$work/projects/chaos
mkdir -p "$project"
{
  echo "name: chaos"
  echo "x-idle: &idle"
  echo "  image: busybox"
  echo "  init: true"
  echo "  command: [\"sleep\", \"600\"]"
  echo "services:"
  echo "  db:"
  echo "    <<: *idle"
  echo "    volumes: [data:/data]"
  echo "    healthcheck: {test: [\"CMD\", \"true\"], interval: 1s, start_interval: 200ms, start_period: 5s}"
  echo "  seed:"
  echo "    image: busybox"
  echo "    command: [\"sh\", \"-c\", \"echo seeded > /data/seed\"]"
  echo "    volumes: [data:/data]"
  for i in 1 2 3 4 5 6 7 8; do
    echo "  web$i:"
    echo "    <<: *idle"
    echo "    ports: [\"127.0.0.1::80\"]"
    echo "    healthcheck: {test: [\"CMD\", \"true\"], interval: 1s, start_interval: 200ms, start_period: 5s}"
    echo "    depends_on:"
    echo "      db: {condition: service_healthy}"
    echo "      seed: {condition: service_completed_successfully}"
  done
  echo "volumes:"
  echo "  data: {}"
} >"$project/compose.yaml"

berthds() {
  local p n=0
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "berthd .*--root $BERTH_ROOT\|berthd .*$BERTH_HOST" && n=$((n + 1))
  done
  echo "$n"
}
berthd_pid() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "berthd .*$BERTH_HOST" && { echo "${p#/proc/}"; return; }
  done
}

failures=0
converge_ms=()
for round in $(seq "$rounds"); do
  alive "${daemon:-}" || bench_daemon
  (cd "$project" && "$bin/berth" up -d --progress quiet >>"$work/up.log" 2>&1) &
  up=$!
  delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + (r % 150) / 100 }')
  sleep "$delay"
  kill -KILL "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  wait "$up" 2>/dev/null || true
  extra=""
  if [ $((round % 4)) = 0 ]; then
    # Five CLIs at once, no daemon: exactly one berthd may start.
    for _ in 1 2 3 4 5; do (cd "$project" && "$bin/berth" ps >/dev/null 2>&1) & done
    wait
    n=$(berthds)
    extra=" autostarts→$n berthd"
    [ "$n" = 1 ] || { failures=$((failures + 1)); extra="$extra (FAIL)"; }
    daemon=$(berthd_pid)
  elif [ $((round % 3)) = 0 ]; then
    # Two berthd at once on one root: exactly one may stay.
    bench_daemon
    "$bin/berthd" --root "$BERTH_ROOT" --socket "$work/second.sock" --name-prefix "$prefix" \
      --subnet-pool "$BERTH_SUBNET_POOL" >>"$work/second.log" 2>&1 &
    second=$!
    for _ in $(seq 100); do alive "$second" || break; sleep 0.05; done
    if alive "$second"; then
      failures=$((failures + 1)); extra=" second berthd stayed (FAIL)"; kill -KILL "$second"
    else
      extra=" second berthd refused"
    fi
    wait "$second" 2>/dev/null || true
  fi
  alive "${daemon:-}" || bench_daemon
  start=$(date +%s%N)
  if (cd "$project" && timeout 180 "$bin/berth" up -d --wait --progress quiet >>"$work/up.log" 2>&1); then
    ms=$((($(date +%s%N) - start) / 1000000))
    converge_ms+=("$ms")
    running=$(cd "$project" && "$bin/berth" ps -q | wc -l)
    status="converged in ${ms} ms, $running running"
    [ "$running" = 9 ] || { failures=$((failures + 1)); status="$status (FAIL: want 9)"; }
  else
    failures=$((failures + 1))
    status="did NOT converge: $(tail -2 "$work/up.log" | tr '\n' ' ')"
  fi
  printf 'round %2d: berthd killed at %ss;%s %s\n' "$round" "$delay" "$extra" "$status"
done

(cd "$project" && "$bin/berth" down -v -t 1 --progress quiet)
kill -TERM "$daemon" 2>/dev/null || true
for _ in $(seq 100); do alive "$daemon" || break; sleep 0.05; done

links=$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -c "^$prefix" || true)
mounts=$(awk -v w="$work" 'index($2, w) == 1' /proc/mounts | wc -l)
netns=$(find "$work" -path '*netns*' -type f 2>/dev/null | wc -l)
cgroups=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$prefix" 2>/dev/null | while read -r d; do find "$d" -mindepth 1 -type d; done | wc -l)
processes=$(bench_pids | wc -l)
rules=$(nft list table inet "$prefix" 2>/dev/null | grep -c . || true)
total=$((links + mounts + netns + cgroups + processes + rules))

sorted=$(printf '%s\n' "${converge_ms[@]:-0}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
worst=$(echo "$sorted" | tail -1)
echo "chaos: $rounds rounds, $failures failed; up --wait after a kill: median $median ms, worst $worst ms"
echo "chaos: after down -v: links $links, mounts $mounts, netns files $netns, cgroups $cgroups, processes $processes, nft rules $rules"
[ "$failures" = 0 ] && [ "$total" = 0 ]
