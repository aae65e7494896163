#!/usr/bin/env bash
# berthd's HTTP API fuzzed (issue 16): random and mutated requests and
# malformed HTTP against a private release berthd; prints the answers by
# status, how fast `ls` still answers between them, and berthd's memory.
#
#   scripts/bench/api-fuzz.sh [REQUESTS] [SEED]      # 2000, 16
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/lib-berthd.sh
bench_build
bench_start fuzz f 10.218.0.0/16/24
python3 scripts/bench/api-fuzz.py "$BERTH_HOST" "$daemon" "${1:-2000}" "${2:-16}"
