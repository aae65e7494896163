#!/usr/bin/env bash
# Measures the embedded DNS server (berth-dns-bench: EmbeddedDNS serving N
# names from its table) against dnsmasq serving the same names from a hosts
# file, both on 127.0.0.1, with dnsperf, in the same run. Prints for each:
#   - queries per second at saturation (dnsperf's default 100 queries in flight),
#   - p50 and p99 latency at a fixed offered load (dnsperf -Q, each reply's
#     latency from -v), where neither server is saturated, so the figure is
#     the time to answer rather than the time spent queued;
#   - CPU time the server spent per answer during the saturated runs (user +
#     system, from /proc): the steadiest figure on a shared machine, since
#     dnsperf and the server share its cores and qps follows whoever leaves
#     dnsperf more of them;
# and the ratios. Targets: qps >= dnsmasq's, p99 <= dnsmasq's.
#
# Each server gets SECONDS per phase, split into ROUNDS interleaved slices
# (berth, dnsmasq, dnsmasq, berth, ...), so that noise from other tenants of
# the machine falls on both alike. Only loopback traffic.
#
#   scripts/bench/dns.sh [NAMES] [SECONDS]      (defaults: 1000 names, 10 s)
#   ROUNDS=5 LATENCY_QPS=20000 scripts/bench/dns.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
names=${1:-1000}
seconds=${2:-10}
rounds=${ROUNDS:-5}
latency_qps=${LATENCY_QPS:-20000}
slice=$(( seconds / rounds > 0 ? seconds / rounds : 1 ))

out=$(mktemp -d /tmp/berth-bench-dns.XXXXXX)
chmod 755 "$out"  # dnsmasq drops root and still reads the hosts file on reload
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$out"
}
trap cleanup EXIT

missing=()
command -v dnsperf >/dev/null 2>&1 || missing+=(dnsperf)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
command -v dig >/dev/null 2>&1 || missing+=(dnsutils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]} (Debian) for the reference and the load" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
PATH=$PATH:/usr/sbin

swift build -c release --product berth-dns-bench --explicit-target-dependency-import-check error >&2
bench=$(swift build -c release --show-bin-path)/berth-dns-bench

# The same names for both: name-<i>.bench → 198.18.x.y (RFC 2544's benchmark
# range; the addresses are answers only, nothing is sent there).
awk -v n="$names" 'BEGIN { for (i = 0; i < n; i++) printf "198.%d.%d.%d name-%d.bench\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256, i }' > "$out/hosts"
awk -v n="$names" 'BEGIN { for (i = 0; i < n; i++) printf "name-%d.bench A\n", i }' > "$out/queries"

free_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
berth_port=$(free_port)
dnsmasq_port=$(free_port)

"$bench" --port "$berth_port" --names "$names" > "$out/berth.log" 2>&1 &
berth_pid=$!
pids+=($berth_pid)
dnsmasq --keep-in-foreground --port="$dnsmasq_port" --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --addn-hosts="$out/hosts" \
  --log-facility="$out/dnsmasq.log" &
dnsmasq_pid=$!
pids+=($dnsmasq_pid)

cpu_ticks() {  # user + system time of a process, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

wait_for() {  # server port: until it answers the last name, for at most 20 s
  local deadline=$(( SECONDS + 20 )) last=$(( names - 1 ))
  until [ "$(dig @127.0.0.1 -p "$2" "name-$last.bench" +short +tries=1 +time=1 2>/dev/null)" != "" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "bench: $1 did not answer on port $2" >&2
      cat "$out/berth.log" "$out/dnsmasq.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
}
wait_for berth "$berth_port"
wait_for dnsmasq "$dnsmasq_port"
echo "names: $names; per server and phase: $rounds rounds of ${slice} s, interleaved"

for round in $(seq 1 "$rounds"); do
  order="berth dnsmasq"
  [ $(( round % 2 )) -eq 0 ] && order="dnsmasq berth"
  for server in $order; do
    port=$berth_port pid=$berth_pid
    [ "$server" = dnsmasq ] && port=$dnsmasq_port pid=$dnsmasq_pid
    before=$(cpu_ticks "$pid")
    dnsperf -s 127.0.0.1 -p "$port" -d "$out/queries" -l "$slice" > "$out/throughput-$server-$round.txt" 2>&1
    echo $(( $(cpu_ticks "$pid") - before )) > "$out/cpu-$server-$round.txt"
    dnsperf -s 127.0.0.1 -p "$port" -d "$out/queries" -l "$slice" -Q "$latency_qps" -v \
      > "$out/latency-$server-$round.txt" 2>&1
  done
done

python3 - "$out" "$rounds" "$latency_qps" "$(getconf CLK_TCK)" <<'PY'
import re, sys
out, rounds, rate, hertz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")

def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else float("nan")

def figures(server):
    """Per round: qps, p50, p99; reported as medians over the rounds, so
    that one round hit by another tenant's burst does not set the figure."""
    rates, p50s, p99s = [], [], []
    completed = lost = ticks = answers = errors = 0
    for r in range(1, rounds + 1):
        ticks += int(open(f"{out}/cpu-{server}-{r}.txt").read())
        text = open(f"{out}/throughput-{server}-{r}.txt").read()
        done = int(re.search(r"Queries completed:\s+(\d+)", text).group(1))
        completed += done
        lost += int(re.search(r"Queries lost:\s+(\d+)", text).group(1))
        rates.append(done / float(re.search(r"Run time \(s\):\s+([\d.]+)", text).group(1)))
        latencies = []
        for line in open(f"{out}/latency-{server}-{r}.txt"):
            if line.startswith("> "):
                fields = line.split()
                if fields[1] != "NOERROR":
                    errors += 1
                latencies.append(float(fields[-1]))
        answers += len(latencies)
        p50s.append(percentile(latencies, 0.50))
        p99s.append(percentile(latencies, 0.99))
    cpu = ticks / hertz * 1e6 / completed if completed else float("nan")
    return median(rates), lost, cpu, median(p50s), median(p99s), answers, errors

rows = {name: figures(name) for name in ("berth", "dnsmasq")}
print(f"{'':10s} {'qps (saturated)':>16s} {'lost':>6s} {'CPU us/answer':>14s}"
      f" {'p50 ms @' + str(rate):>14s} {'p99 ms @' + str(rate):>14s} {'answers':>8s} {'errors':>7s}")
for name, (qps, lost, cpu, p50, p99, count, errors) in rows.items():
    print(f"{name:10s} {qps:16.0f} {lost:6d} {cpu:14.2f} {p50:14.3f} {p99:14.3f} {count:8d} {errors:7d}")
b, d = rows["berth"], rows["dnsmasq"]
print(f"berth / dnsmasq qps       = {b[0] / d[0]:5.2f}x   (target >= 1)")
print(f"berth / dnsmasq p99       = {b[4] / d[4]:5.2f}x   (target <= 1)")
print(f"berth / dnsmasq CPU/answer = {b[2] / d[2]:5.2f}x   (lower is better)")
PY
