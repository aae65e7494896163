#!/usr/bin/env bash
# Measures the embedded DNS server (berth-dns-bench: EmbeddedDNS serving N
# names from its table) against dnsmasq serving the same names from a hosts
# file, both on 127.0.0.1, with dnsperf, in the same run.
#
# The targets are the issue's: in a dnsperf run (its defaults: 100 queries
# in flight, so the server is saturated), at least as many queries per
# second as dnsmasq and a p99 latency no worse. Each figure comes from that
# run: queries per second from dnsperf's summary, p50 and p99 from each
# reply's latency (-v).
#
# Printed as well, not targets:
#   - CPU time the server spent per answer during the saturated runs (user +
#     system, from /proc): the steadiest figure on a shared machine, since
#     dnsperf and the server share its cores;
#   - p50 and p99 at a fixed offered load (dnsperf -Q, LATENCY_QPS), where
#     neither server is saturated, so the figure is the time to answer one
#     query rather than the time spent queued behind others. Here dnsmasq's
#     single poll loop answers a lone query sooner than SwiftNIO's event
#     loop does. A third server, berth-dns-bench --echo, shows why: the same
#     NIO channel sending each query back untouched, with no DNS work at all.
#
# Each server gets SECONDS per phase, split into ROUNDS interleaved slices
# (berth, dnsmasq, dnsmasq, berth, ...), so that noise from other tenants of
# the machine falls on both alike. Figures are medians over the rounds. Only
# loopback traffic.
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

. scripts/bench/lib-tool.sh
bench=$(bench_tool berth-dns-bench)

# The same names for both: name-<i>.bench → 198.18.x.y (RFC 2544's benchmark
# range; the addresses are answers only, nothing is sent there).
awk -v n="$names" 'BEGIN { for (i = 0; i < n; i++) printf "198.%d.%d.%d name-%d.bench\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256, i }' > "$out/hosts"
awk -v n="$names" 'BEGIN { for (i = 0; i < n; i++) printf "name-%d.bench A\n", i }' > "$out/queries"

free_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
berth_port=$(free_port)
dnsmasq_port=$(free_port)
echo_port=$(free_port)

"$bench" --port "$berth_port" --names "$names" > "$out/berth.log" 2>&1 &
berth_pid=$!
pids+=($berth_pid)
dnsmasq --keep-in-foreground --port="$dnsmasq_port" --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --addn-hosts="$out/hosts" \
  --log-facility="$out/dnsmasq.log" &
dnsmasq_pid=$!
pids+=($dnsmasq_pid)
"$bench" --port "$echo_port" --echo > "$out/echo.log" 2>&1 &
pids+=($!)

cpu_ticks() {  # user + system time of a process, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

wait_for() {  # server port: until it answers the last name, for at most 20 s
  local deadline=$(( SECONDS + 20 )) last=$(( names - 1 ))
  until dig @127.0.0.1 -p "$2" "name-$last.bench" +tries=1 +time=1 2>/dev/null | grep -q "status: NOERROR"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "bench: $1 did not answer on port $2" >&2
      cat "$out/berth.log" "$out/dnsmasq.log" "$out/echo.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
}
wait_for berth "$berth_port"
wait_for dnsmasq "$dnsmasq_port"
wait_for nio-echo "$echo_port"
# dnsperf -v prints a line per reply ("> RCODE name ... latency"); at
# saturation that is megabytes a run. Keep the summary and, per reply, its
# rcode and latency.
summarize() {  # dnsperf-output prefix
  awk -v summary="$2.summary" -v replies="$2.replies" \
    '/^> / { print $2, $NF > replies; next } { print > summary }' "$1"
  rm -f "$1"
}

echo "names: $names; per server and phase: $rounds rounds of ${slice} s, interleaved"

for round in $(seq 1 "$rounds"); do
  order="berth dnsmasq"
  [ $(( round % 2 )) -eq 0 ] && order="dnsmasq berth"
  for server in $order; do
    port=$berth_port pid=$berth_pid
    [ "$server" = dnsmasq ] && port=$dnsmasq_port pid=$dnsmasq_pid
    before=$(cpu_ticks "$pid")
    dnsperf -s 127.0.0.1 -p "$port" -d "$out/queries" -l "$slice" -v > "$out/run.txt" 2>&1
    echo $(( $(cpu_ticks "$pid") - before )) > "$out/cpu-$server-$round.txt"
    summarize "$out/run.txt" "$out/saturated-$server-$round"
    dnsperf -s 127.0.0.1 -p "$port" -d "$out/queries" -l "$slice" -Q "$latency_qps" -v > "$out/run.txt" 2>&1
    summarize "$out/run.txt" "$out/fixed-$server-$round"
  done
  dnsperf -s 127.0.0.1 -p "$echo_port" -d "$out/queries" -l "$slice" -Q "$latency_qps" -v > "$out/run.txt" 2>&1
  summarize "$out/run.txt" "$out/fixed-echo-$round"
done

python3 - "$out" "$rounds" "$latency_qps" "$(getconf CLK_TCK)" <<'PY'
import re, sys
out, rounds, rate, hertz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")

def percentile(values, p):
    return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else float("nan")

def replies(prefix):
    """The latencies of one run, sorted, and how many replies were not NOERROR."""
    latencies, errors = [], 0
    for line in open(f"{prefix}.replies"):
        rcode, latency = line.split()
        errors += rcode != "NOERROR"
        latencies.append(float(latency))
    return sorted(latencies), errors

def figures(server):
    """Per round: qps, p50, p99 saturated, p50, p99 at the fixed load;
    reported as medians over the rounds, so that one round hit by another
    tenant's burst does not set the figure."""
    rates, p50s, p99s, fixed50s, fixed99s = [], [], [], [], []
    completed = lost = ticks = errors = 0
    for r in range(1, rounds + 1):
        ticks += int(open(f"{out}/cpu-{server}-{r}.txt").read())
        text = open(f"{out}/saturated-{server}-{r}.summary").read()
        done = int(re.search(r"Queries completed:\s+(\d+)", text).group(1))
        completed += done
        lost += int(re.search(r"Queries lost:\s+(\d+)", text).group(1))
        rates.append(done / float(re.search(r"Run time \(s\):\s+([\d.]+)", text).group(1)))
        latencies, failed = replies(f"{out}/saturated-{server}-{r}")
        errors += failed
        p50s.append(percentile(latencies, 0.50))
        p99s.append(percentile(latencies, 0.99))
        latencies, failed = replies(f"{out}/fixed-{server}-{r}")
        errors += failed
        fixed50s.append(percentile(latencies, 0.50))
        fixed99s.append(percentile(latencies, 0.99))
    cpu = ticks / hertz * 1e6 / completed if completed else float("nan")
    return dict(qps=median(rates), lost=lost, cpu=cpu, p50=median(p50s), p99=median(p99s),
                fixed50=median(fixed50s), fixed99=median(fixed99s), errors=errors)

def fixed(server):
    """Medians over the rounds of p50 and p99 at the fixed load."""
    p50s, p99s = [], []
    for r in range(1, rounds + 1):
        latencies, _ = replies(f"{out}/fixed-{server}-{r}")
        p50s.append(percentile(latencies, 0.50))
        p99s.append(percentile(latencies, 0.99))
    return median(p50s), median(p99s)

rows = {name: figures(name) for name in ("berth", "dnsmasq")}
print(f"{'':8s} {'saturated: qps':>15s} {'p50 ms':>7s} {'p99 ms':>7s} {'lost':>5s} {'CPU us/answer':>14s}"
      f"   {'at ' + str(rate) + ' q/s: p50 ms':>21s} {'p99 ms':>7s} {'errors':>7s}")
for name, f in rows.items():
    print(f"{name:8s} {f['qps']:15.0f} {f['p50']:7.3f} {f['p99']:7.3f} {f['lost']:5d} {f['cpu']:14.2f}"
          f"   {f['fixed50']:21.3f} {f['fixed99']:7.3f} {f['errors']:7d}")
echo50, echo99 = fixed("echo")
print(f"{'nio-echo':8s} {'':15s} {'':7s} {'':7s} {'':5s} {'':14s}   {echo50:21.3f} {echo99:7.3f}"
      "   (NIO's floor: EmbeddedDNS's channel setup, no DNS work)")
b, d = rows["berth"], rows["dnsmasq"]
ratios = [
    ("qps", b["qps"] / d["qps"], "(target >= 1)"),
    ("p99", b["p99"] / d["p99"], "(target <= 1)"),
    ("CPU/answer", b["cpu"] / d["cpu"], "(lower is better)"),
    (f"p99 at {rate} q/s", b["fixed99"] / d["fixed99"], "(not a target: a lone query's time)"),
]
for label, ratio, note in ratios:
    print(f"berth / dnsmasq {label:20s} = {ratio:5.2f}x   {note}")
PY
