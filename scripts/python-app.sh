#!/usr/bin/env bash
# A real build end to end: a Debian root filesystem made with mmdebstrap
# (Debian's own tool: the packages come from the archive apt is set up for,
# no container registry), imported as berth-debian-python:bookworm; then
# examples/python-app, a Python HTTP app built FROM it, brought up with
# `berth up --build --wait`, asked over its published port, and taken down
# again (its volume and the build network too; berthd, started by berth when
# nothing answered, stays, as with `make demo`).
#
#   scripts/python-app.sh            # BERTH=path/to/berth, APP_PORT=8090
#
# Needs root. The root filesystem is kept in .build/debian-python.tar for
# the next run (about 25 s to make, ~120 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
berth=${BERTH:-$PWD/.build/debug/berth}
port=${APP_PORT:-8090}
rootfs=.build/debian-python.tar
if [ "$(id -u)" != 0 ]; then
  echo "python-app: needs root (berthd makes namespaces, bridges and mounts)" >&2
  exit 1
fi
if ! command -v mmdebstrap >/dev/null 2>&1; then
  apt-get install -y -q mmdebstrap >&2
fi
if [ ! -s "$rootfs" ]; then
  echo "== mmdebstrap: bookworm with python3 -> $rootfs" >&2
  mkdir -p .build
  mmdebstrap --quiet --variant=apt --include=python3,passwd --format=tar bookworm "$rootfs.part" >&2
  mv "$rootfs.part" "$rootfs"
fi
echo "== berth image import $rootfs berth-debian-python:bookworm"
"$berth" image import "$rootfs" berth-debian-python:bookworm

cd examples/python-app
# The project, its volume, and the build network its RUN steps used (berthd
# makes it again for the next build) go at the end, also on a failure.
cleanup() {
  "$berth" down -v -t 5 >/dev/null 2>&1 || true
  "$berth" network rm bridge >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "== berth up --build --wait (examples/python-app)"
APP_PORT=$port "$berth" up --build --wait --wait-timeout 120
APP_PORT=$port "$berth" ps
echo "== curl http://127.0.0.1:$port/"
curl -sS --max-time 5 "http://127.0.0.1:$port/"
echo "== curl http://127.0.0.1:$port/count (twice; the count lives in the named volume)"
curl -sS --max-time 5 "http://127.0.0.1:$port/count"
curl -sS --max-time 5 "http://127.0.0.1:$port/count"
echo "== berth image inspect pyapp-app: the config the Dockerfile asked for"
"$berth" image inspect pyapp-app | python3 -c '
import json, sys
config = json.load(sys.stdin)[0]["Config"]
print({key: config.get(key) for key in ("User", "WorkingDir", "Cmd", "ExposedPorts", "Healthcheck")})'
