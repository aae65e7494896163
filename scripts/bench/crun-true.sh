#!/usr/bin/env bash
# Times create + start + exit of `/bin/true` through Berth's ContainerDriver
# (bundle, overlay rootfs, berth-shim, crun, exit record) against a bare
# `crun run` of the same config.json on the same rootfs, measured in the same
# run: medians of RUNS each and their ratio (target <= 1.3); then berth-shim's
# resident memory after a few thousand log lines (target <= 2 MiB).
# Needs root (crun, overlay mounts, cgroups).
#
#   scripts/bench/crun-true.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-50}
if [ "$(id -u)" != 0 ]; then
  echo "crun-true: needs root (crun, overlay mounts and cgroups)" >&2
  exit 1
fi
scripts/setup.sh
. scripts/bench/lib-tool.sh
# berth-shim is Berth's own (a C target of the root package); the bench is told where it is.
"$swift" build -c release --product berth-shim --explicit-target-dependency-import-check error >&2
shim=$("$swift" build -c release --show-bin-path)/berth-shim
"$(bench_tool berth-run-bench)" "$runs" --shim "$shim"
