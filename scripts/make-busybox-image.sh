#!/usr/bin/env bash
# Builds a small base image from Debian's busybox-static, with no network:
# a root filesystem holding /bin/busybox and every applet link it lists,
# /etc/passwd and /etc/group (root, www-data uid 33, nobody), /tmp (1777),
# /root and /var/www, packed as an OCI image layout tar named
# busybox:latest (docker.io/library/busybox:latest) with Cmd ["sh"].
#
#   scripts/make-busybox-image.sh [--rootfs] [OUTPUT]
#
# Prints the path it wrote (default ./busybox-oci.tar, or ./busybox-rootfs.tar
# with --rootfs, which writes the bare root filesystem tar instead; import
# that with a config of your own). Then:
#
#   berth image import "$(scripts/make-busybox-image.sh)"
#
# The output is reproducible: sorted names, owners 0:0, mtimes from
# SOURCE_DATE_EPOCH (default 0), gzip without a timestamp; the same busybox
# gives the same digests, so the layer is shared between builds.
# BUSYBOX=/path/to/static/busybox picks another binary; it must be static,
# as nothing else is in the image.
set -euo pipefail

mode=oci
if [ "${1:-}" = "--rootfs" ]; then mode=rootfs; shift; fi
case "${1:-}" in -h|--help) sed -n '2,/^set /{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
default_name=busybox-oci.tar
[ "$mode" = rootfs ] && default_name=busybox-rootfs.tar
out=${1:-"$PWD/$default_name"}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
  echo "make-busybox-image: $busybox not found; install Debian's busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi
if command -v file >/dev/null 2>&1 && file -L "$busybox" | grep -q 'dynamically linked'; then
  echo "make-busybox-image: $busybox is dynamically linked; the image has no libc for it (use busybox-static)" >&2
  exit 1
fi
epoch=${SOURCE_DATE_EPOCH:-0}

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-busybox.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/www,proc,sys,dev}
chmod 0755 "$rootfs" "$rootfs"/{bin,sbin,usr,usr/bin,usr/sbin,etc,var,var/www,proc,sys,dev}
chmod 0700 "$rootfs/root"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"

# Applet links where busybox says they live (bin/sh, usr/bin/env, …); an
# older busybox without --list-full gets them all in /bin.
if applets=$("$busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then :; else
  applets=$("$busybox" --list | sed 's|^|bin/|')
fi
while IFS= read -r applet; do
  [ -n "$applet" ] && [ "$applet" != bin/busybox ] || continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -sfn /bin/busybox "$rootfs/$applet"
done <<<"$applets"

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
www-data:x:33:
nogroup:x:65534:
GROUP
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"

pack() { # pack DIR OUTPUT [members…]: a reproducible tar
  local dir=$1 output=$2
  shift 2
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
    -cf "$output" -C "$dir" "$@"
}

if [ "$mode" = rootfs ]; then
  pack "$rootfs" "$out" .
  echo "$out"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; armv*) arch=arm ;; i?86) arch=386 ;; *) arch=$(uname -m) ;;
esac
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
layout="$work/layout"
mkdir -p "$layout/blobs/sha256"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
blob() { # blob FILE: moves FILE into the layout, prints its hex digest
  local hex
  hex=$(sha "$1")
  mv "$1" "$layout/blobs/sha256/$hex"
  echo "$hex"
}

pack "$rootfs" "$work/layer.tar" .
diff_id=$(sha "$work/layer.tar")
gzip -n -9 "$work/layer.tar"
layer_size=$(size "$work/layer.tar.gz")
layer=$(blob "$work/layer.tar.gz")

printf '%s' '{"architecture":"'"$arch"'","config":{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"created":"'"$created"'","history":[{"created":"'"$created"'","created_by":"scripts/make-busybox-image.sh"}],"os":"linux","rootfs":{"diff_ids":["sha256:'"$diff_id"'"],"type":"layers"}}' >"$work/config.json"
config_size=$(size "$work/config.json")
config=$(blob "$work/config.json")

printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$config"'","size":'"$config_size"'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:'"$layer"'","size":'"$layer_size"'}]}' >"$work/manifest.json"
manifest_size=$(size "$work/manifest.json")
manifest=$(blob "$work/manifest.json")

printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$manifest"'","size":'"$manifest_size"',"annotations":{"io.containerd.image.name":"docker.io/library/busybox:latest","org.opencontainers.image.ref.name":"latest"}}]}' >"$layout/index.json"

pack "$layout" "$out" oci-layout index.json blobs
echo "$out"
