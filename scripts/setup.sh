#!/usr/bin/env bash
# Installs, idempotently, the Debian packages Berth needs to build, test and
# run its demo, and prepares the host for crun. Runs as root on a fresh Debian
# machine; does nothing when all is in place. Swift is expected at /opt/swift
# (or on PATH).
set -euo pipefail

packages=(
  libyaml-dev     # the YAML parser (CYAML system library)
  pkg-config      # lets SwiftPM find libyaml
  crun            # the OCI runtime containers run on
  busybox-static  # the base image the demo and the tests build
  tini            # PID 1 for `init: true`
  iproute2        # tests read links and namespaces back with `ip`
  nftables        # masquerade rules; ../shared/tools/netguard
  dnsutils        # `dig`, for the embedded DNS tests
  dnsmasq-base    # a local upstream resolver for the DNS tests
  curl            # checks published ports in tests
  netcat-openbsd  # checks that networks do not connect
  iputils-ping    # the attach test pings the container it made
  util-linux      # nsenter, mountpoint
  zlib1g-dev      # gzip layers, inflated in-process (CZlib system library)
  libzstd-dev     # zstd layers, likewise (CZstd)
  docker-registry # the CNCF distribution registry the registry tests pull from
  skopeo          # puts the tests' OCI layouts into that registry
  openssl         # the tests' CA and certificates, and the token server's signatures
  apache2-utils   # htpasswd, for the registry's Basic auth
  zstd            # compresses the tests' zstd layers
  python3         # the tests' token server and fault proxy
  tmux            # the terminal tests drive berth exec/run/attach through a real pty
  python3-kubernetes # the kube tests validate generated manifests against the client's typed models
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

# docker's default seccomp profile: every container runs under it unless
# its service says otherwise. Debian ships it with docker's source
# (golang-github-docker-docker-dev, the same 20.10 profile as Debian's
# docker.io); only that one file is taken from the package, not the Go
# sources and their 250 dependencies.
profile=/usr/share/berth/seccomp/default.json
if [ ! -s "$profile" ]; then
  deb=golang-github-docker-docker-dev
  work=$(mktemp -d)
  (cd "$work" && { apt-get download -qq "$deb" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$deb"; }; })
  dpkg-deb --fsys-tarfile "$work"/"$deb"_*.deb \
    | tar -x -O ./usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json > "$work/default.json"
  install -D -m 0644 "$work/default.json" "$profile"
  rm -rf "$work"
  echo "setup: installed docker's default seccomp profile at $profile (from Debian's $deb)" >&2
fi

# crun refuses a hybrid cgroup layout whose cgroup2 mount still holds a
# controller ("cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2"). On these machines that is hugetlb: give it its own v1
# hierarchy so the v2 mount holds none. berthd applies the same fix and
# explains it when it cannot.
unified=/sys/fs/cgroup/unified
if [ "$(id -u)" = 0 ] && [ -r "$unified/cgroup.controllers" ] && grep -qw hugetlb "$unified/cgroup.controllers"; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mountpoint -q /sys/fs/cgroup/hugetlb || mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
  echo "setup: moved the hugetlb cgroup controller off cgroup2 so crun accepts the layout" >&2
fi

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  echo "setup: swift is at /opt/swift/usr/bin; add it to PATH" >&2
fi
