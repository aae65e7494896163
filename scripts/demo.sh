#!/usr/bin/env bash
# `make demo`: brings the demo stack of examples/demo up with `berth up
# --wait` (berth starts berthd, with its state in /var/lib/berth, when
# nothing answers on /run/berth/berth.sock), shows that it answers, and
# says what to try next. Run after `make build busybox-image`.
#
# WEB_PORT and API_PORT (default 8080 and 8081) move the published ports.
set -euo pipefail
cd "$(dirname "$0")/.."
berth=$PWD/.build/debug/berth
web=${WEB_PORT:-8080}
api=${API_PORT:-8081}

echo "== importing the busybox base image"
"$berth" image import .build/busybox-oci.tar

echo "== berth up --wait (examples/demo)"
(cd examples/demo && WEB_PORT=$web API_PORT=$api "$berth" up --wait --wait-timeout 120)

echo "== the stack"
(cd examples/demo && "$berth" ps)
echo
echo "== curl http://127.0.0.1:$web/ (web serves the volume the seed job wrote)"
curl -sS --max-time 5 "http://127.0.0.1:$web/"
echo "== curl http://127.0.0.1:$api/cgi-bin/status (api calls web by name)"
curl -sS --max-time 5 "http://127.0.0.1:$api/cgi-bin/status"

cat <<TRY

Try, from examples/demo (berth is $berth):
  berth ps                       # state and health
  berth ps --format json         # docker compose's fields, probes included
  berth logs -f                  # follow every service's output (Ctrl-C ends)
  curl http://127.0.0.1:$web/
  berth exec web ps                # a command inside a running container
  berth exec web pkill httpd     # web dies; restart: unless-stopped brings it back (berth ps, berth events)
  berth down                     # containers and network go, the volume stays
  berth down -v                  # the volume too
TRY
