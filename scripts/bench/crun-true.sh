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
swift=$(command -v swift || echo /opt/swift/usr/bin/swift)
"$swift" build -c release --product berth-shim --explicit-target-dependency-import-check error >&2
"$swift" build -c release --product berth-run-bench --explicit-target-dependency-import-check error >&2
bin=$("$swift" build -c release --show-bin-path)
"$bin/berth-run-bench" "$runs"
