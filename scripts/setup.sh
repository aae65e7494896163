#!/usr/bin/env bash
# Installs, idempotently, the Debian packages Berth needs to build, test and
# run its demo. Runs as root on a fresh Debian machine; does nothing when all
# are present. Swift itself is expected at /opt/swift (or on PATH).
set -euo pipefail

packages=(
  libyaml-dev   # the YAML parser (CYAML system library)
  pkg-config    # lets SwiftPM find libyaml
  nftables      # ../shared/tools/netguard, run before system tests
  iproute2
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  echo "setup: swift is at /opt/swift/usr/bin; add it to PATH" >&2
fi
