# Sourced by the benchmarks that run a whole berthd (up-down.sh, health.sh):
# building the three binaries in .build-bench, a private berthd (own root,
# socket, name prefix, subnet and cgroup parent), and a cleanup that leaves
# nothing on the host even when the benchmark fails half-way.
#
#   . scripts/bench/lib-berthd.sh
#   bench_build                      # sets $bin
#   bench_image                      # sets $image (the busybox OCI tar)
#   bench_start NAME LETTER POOL     # sets $work, $prefix, $daemon; exports BERTH_*
#   trap bench_cleanup EXIT          # (bench_start installs it)
#
# Processes are only ever ended by pid: berthd's, the pids in its own cgroup
# parent, and those whose command line names its private work directory.

swift=$(command -v swift || echo /opt/swift/usr/bin/swift)
scratch=.build-bench
# -static-stdlib for all three, so the products share one set of compiled
# modules (different flags per product would rebuild everything each time).
swift_flags=(-c release --scratch-path "$scratch" --static-swift-stdlib --explicit-target-dependency-import-check error)

bench_log() { printf '%s\n' "$*" >&2; }

# Builds berthd, berth and berth-shim (a C executable target, so not a
# declared product, but SwiftPM builds it by name) side by side in
# $scratch/release. Another engineer may be editing Sources/ at the same
# time: a build that fails with "was modified during the build" is retried.
bench_build() {
  local product attempt out
  for product in berthd berth berth-shim; do
    for attempt in 1 2 3 4 5; do
      out=$("$swift" build "${swift_flags[@]}" --product "$product" 2>&1) && break
      if grep -q 'was modified during the build' <<<"$out" && [ "$attempt" -lt 5 ]; then
        bench_log "bench: sources changed while building $product; building again ($attempt)"
        sleep 2
        continue
      fi
      printf '%s\n' "$out" | tail -40 >&2
      bench_log "bench: swift build --product $product failed"
      return 1
    done
    bench_log "bench: built $product"
  done
  bin=$("$swift" build "${swift_flags[@]}" --show-bin-path)
  local f
  for f in berth berthd berth-shim; do
    [ -x "$bin/$f" ] || { bench_log "bench: $bin/$f is missing after the build"; return 1; }
  done
}

# The busybox image: the one `make busybox-image` made if there is one,
# else a fresh one in $scratch (never touching the default .build).
bench_image() {
  if [ -s .build/busybox-oci.tar ]; then
    image=$PWD/.build/busybox-oci.tar
  else
    image=$PWD/$scratch/busybox-oci.tar
    [ -s "$image" ] || scripts/make-busybox-image.sh "$image" >&2
  fi
}

# bench_start NAME LETTER POOL: a private berthd. Its prefix is "berth" +
# LETTER + 3 hex digits (9 characters), its cgroup parent /<prefix>.
bench_start() {
  local name=$1 letter=$2 pool=$3
  work=$(mktemp -d "/tmp/berth-bench-$name.XXXXXX")
  prefix=berth$letter$(printf '%03x' $((RANDOM % 4096)))
  while ip -o link show | grep -q ": $prefix" || nft list table inet "$prefix" >/dev/null 2>&1; do
    prefix=berth$letter$(printf '%03x' $((RANDOM % 4096)))
  done
  export BERTH_ROOT=$work/root BERTH_HOST=$work/berth.sock BERTH_NAME_PREFIX=$prefix BERTH_SUBNET_POOL=$pool
  export BERTH_LOG_LEVEL=${BERTH_LOG_LEVEL:-warning}
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$BERTH_ROOT"
  bench_daemon
  bench_log "bench: berthd pid $daemon, root $BERTH_ROOT, prefix $prefix, pool $pool (log $work/berthd.log)"
}

bench_daemon() {
  "$bin/berthd" --root "$BERTH_ROOT" --socket "$BERTH_HOST" --name-prefix "$prefix" --subnet-pool "$BERTH_SUBNET_POOL" \
    --log-level "$BERTH_LOG_LEVEL" >>"$work/berthd.log" 2>&1 &
  daemon=$!
  local _
  for _ in $(seq 400); do
    if [ -S "$BERTH_HOST" ] && "$bin/berth" ls >/dev/null 2>&1; then return 0; fi
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.05
  done
  tail -20 "$work/berthd.log" >&2
  bench_log "bench: berthd did not answer on $BERTH_HOST"
  return 1
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Pids that belong to this benchmark: in its cgroup parent (container
# processes, under every v1 controller or v2), or naming its work directory
# on their command line (berthd, berth-shim, crun, a berthd that `berth`
# started itself). Never our own shell or its parents.
bench_pids() {
  [ -n "${work:-}" ] || return 0
  {
    find /sys/fs/cgroup -path "*/$prefix/*" -name cgroup.procs 2>/dev/null -exec cat {} + 2>/dev/null
    find /sys/fs/cgroup -path "*/$prefix" -name "$prefix" -type d 2>/dev/null | while read -r d; do cat "$d/cgroup.procs" 2>/dev/null; done
    local p
    for p in /proc/[0-9]*; do
      tr "\0" " " 2>/dev/null <"$p/cmdline" | grep -qF -- "$work/" && echo "${p#/proc/}"
    done
  } | sort -un | grep -vx -e "$$" -e "${BASHPID:-$$}" -e "$PPID" || true
}

# Brings everything down, even after a failure: each project (with its
# volumes) through berthd, which is restarted on the same root when it has
# died; then berthd; then whatever is still there, by pid, prefix and path.
bench_cleanup() {
  local rc=$? p dir
  trap - EXIT INT TERM
  set +e
  if [ "$rc" != 0 ] && [ -n "${work:-}" ] && [ -s "$work/berthd.log" ]; then
    bench_log "bench: failed ($rc); the end of berthd's log:"
    tail -15 "$work/berthd.log" | sed 's/^/  /' >&2
  fi
  if [ -n "${work:-}" ] && [ -d "$work" ]; then
    if ! alive "${daemon:-}" && [ -n "${bin:-}" ]; then
      bench_log "bench: berthd is gone; starting it again to take the projects down"
      bench_daemon >/dev/null 2>&1
    fi
    if alive "${daemon:-}"; then
      for dir in "$work"/projects/*/; do
        [ -f "$dir/compose.yaml" ] || continue
        (cd "$dir" && timeout 120 "$bin/berth" down -v -t 2 --progress quiet >/dev/null 2>>"$work/cleanup.log") ||
          bench_log "bench: berth down in $dir failed: $(tail -2 "$work/cleanup.log" 2>/dev/null)"
      done
      kill -TERM "$daemon" 2>/dev/null
      for _ in $(seq 100); do alive "$daemon" || break; sleep 0.05; done
      alive "$daemon" && kill -KILL "$daemon" 2>/dev/null
      wait "$daemon" 2>/dev/null
    fi
    # Whatever survived berthd: processes first (they hold mounts), by pid.
    local pids
    pids=$(bench_pids)
    if [ -n "$pids" ]; then
      bench_log "bench: leftover processes after down: $(echo $pids)"
      for p in $pids; do bench_log "  $p: $(tr '\0' ' ' 2>/dev/null </proc/$p/cmdline | cut -c1-120)"; done
      kill -KILL $pids 2>/dev/null
      sleep 0.3
    fi
    local mounts
    mounts=$(awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r)
    if [ -n "$mounts" ]; then
      bench_log "bench: leftover mounts under $work: $(echo "$mounts" | wc -l)"
      echo "$mounts" | xargs -r -n1 umount -l 2>/dev/null
    fi
  fi
  if [ -n "${prefix:-}" ]; then
    local links
    links=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$prefix")
    if [ -n "$links" ]; then
      bench_log "bench: leftover links: $(echo $links)"
      for p in $links; do ip link del "$p" 2>/dev/null; done
    fi
    if nft list table inet "$prefix" >/dev/null 2>&1; then
      bench_log "bench: leftover nft table inet $prefix"
      nft delete table inet "$prefix" 2>/dev/null
    fi
    # Empty cgroup directories under the prefix, deepest first.
    local cg
    cg=$(find /sys/fs/cgroup -depth -type d -path "*/$prefix*" 2>/dev/null | grep -E "/$prefix(/|$)")
    if [ -n "$cg" ]; then
      bench_log "bench: leftover cgroups: $(echo "$cg" | wc -l) directories under */$prefix"
      echo "$cg" | while read -r d; do rmdir "$d" 2>/dev/null; done
    fi
  fi
  if [ -n "${work:-}" ] && [ -d "$work" ]; then
    if [ -n "${BENCH_KEEP_LOGS:-}" ]; then
      mkdir -p "$BENCH_KEEP_LOGS" && cp "$work"/*.log "$BENCH_KEEP_LOGS"/ 2>/dev/null
    fi
    rm -rf --one-file-system "$work"
  fi
  bench_check_clean
  exit "$rc"
}

# Reports (on stderr) anything of this benchmark still on the host.
bench_check_clean() {
  local left=0
  if [ -n "${prefix:-}" ] && ip -o link show | grep -q ": $prefix"; then bench_log "bench: LEFT: links $prefix*"; left=1; fi
  if [ -n "${work:-}" ] && grep -qF " $work" /proc/mounts; then bench_log "bench: LEFT: mounts under $work"; left=1; fi
  if [ -n "${prefix:-}" ] && nft list table inet "$prefix" >/dev/null 2>&1; then bench_log "bench: LEFT: nft table inet $prefix"; left=1; fi
  if [ -n "$(bench_pids)" ]; then bench_log "bench: LEFT: processes $(echo $(bench_pids))"; left=1; fi
  if [ -n "${prefix:-}" ] && find /sys/fs/cgroup -type d -name "$prefix" 2>/dev/null | grep -q .; then
    bench_log "bench: LEFT: cgroups $(find /sys/fs/cgroup -type d -name "$prefix" | head -3 | tr '\n' ' ')"
    left=1
  fi
  [ -n "${work:-}" ] && [ -e "$work" ] && { bench_log "bench: LEFT: $work"; left=1; }
  [ "$left" = 0 ] && bench_log "bench: cleaned up: no links $prefix*, no mounts, no processes, no nft table, no cgroups left"
}
