#!/usr/bin/env bash
# A cold pull of a ~500 MB multi-layer Debian root filesystem image from a
# local registry (docker-registry on 127.0.0.1:5000, started by
# ../shared/tools/anchors), by `berth image pull` against `docker pull`
# (dockerd from Debian's docker.io, the same registry) and `skopeo copy` to
# an OCI directory, in interleaved rounds, each from an empty store; then a
# pull whose every layer is present (a new tag of the same image), and
# berthd's resident memory growth over the pulls. Prints medians and ratios.
#
#   scripts/bench/pull.sh [RUNS]
#
# The image: a root filesystem made with mmdebstrap when it is installed
# and a mirror answers; otherwise this Debian host's own /usr, /etc and
# /var/lib split into 7 gzip layers (the same kind of content). Built once
# into .build-bench/pull-image (an OCI layout) and kept.
# Targets: cold pull >= 1.5x faster than docker pull; all-present < 100 ms;
# berthd grows < 32 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
if [ "$(id -u)" != 0 ]; then
  echo "pull: needs root (berthd, dockerd)" >&2
  exit 1
fi
scripts/setup.sh >&2
../shared/tools/netguard on >&2 || true
../shared/tools/anchors up >&2
registry=127.0.0.1:${ANCHORS_REGISTRY_PORT:-5000}
. scripts/bench/lib-berthd.sh
bench_build
layout=$PWD/$scratch/pull-image
if [ ! -s "$layout/index.json" ]; then
  bench_log "bench: making the image in $layout"
  rm -rf "$layout"
  python3 - "$layout" <<'PY'
import gzip, hashlib, json, os, subprocess, sys, tempfile
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
groups = [
    ["usr/lib/x86_64-linux-gnu"], ["usr/share/doc", "usr/share/locale", "usr/share/man"],
    ["usr/share"], ["usr/bin", "usr/sbin", "usr/libexec"], ["usr/lib/gcc", "usr/lib/python3", "usr/lib/python3.11"],
    ["etc", "var/lib/dpkg", "var/lib/apt"], ["usr/include"],
]
seen = set()
layers, diff_ids = [], []
for group in groups:
    paths = [p for p in group if os.path.isdir("/" + p)]
    excludes = [f"--exclude=./{s}" for s in seen if any(s.startswith(p + "/") for p in paths)]
    seen.update(paths)
    tar = subprocess.run(["tar", "-C", "/", "-cf", "-", "--sort=name", "--numeric-owner", "--mtime=@0",
                          "--exclude=usr/share/swift*"] + excludes + paths, capture_output=True, check=True).stdout
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    blob = gzip.compress(tar, compresslevel=6, mtime=0)
    digest = hashlib.sha256(blob).hexdigest()
    open(f"{out}/blobs/sha256/{digest}", "wb").write(blob)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + digest,
                   "size": len(blob)})
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
cdigest = hashlib.sha256(config).hexdigest()
open(f"{out}/blobs/sha256/{cdigest}", "wb").write(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": "sha256:" + cdigest, "size": len(config)},
                       "layers": layers}).encode()
mdigest = hashlib.sha256(manifest).hexdigest()
open(f"{out}/blobs/sha256/{mdigest}", "wb").write(manifest)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": "sha256:" + mdigest, "size": len(manifest),
           "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
total = sum(l["size"] for l in layers)
print(f"bench: image of {len(layers)} layers, {total / 1e6:.0f} MB compressed", file=sys.stderr)
PY
fi
skopeo copy -q --dest-tls-verify=false "oci:$layout:bench" "docker://$registry/bench/debian:1" >&2
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
  "docker://$registry/bench/debian:1" "docker://$registry/bench/debian:2" >&2
bench_start pull p "${BERTH_BENCH_POOL:-10.216.0.0/17/24}"

python3 - "$runs" "$bin/berth" "$work" "$daemon" "$registry" <<'PY'
import os, shutil, statistics, subprocess, sys, time
runs, berth, work, daemon, registry = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
image = f"{registry}/bench/debian:1"
docker = "/usr/bin/docker"

def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

def timed(*args):
    start = time.monotonic()
    run(*args)
    return time.monotonic() - start

def kib(field):
    for line in open(f"/proc/{daemon}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

def berth_fresh():
    subprocess.run([berth, "image", "rm", "-f", image], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([berth, "image", "rm", "-f", f"{registry}/bench/debian:2"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

def docker_fresh():
    subprocess.run([docker, "rmi", "-f", image], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

rss_before = kib("VmRSS")
times = {"berth": [], "docker": [], "skopeo": []}
oci = os.path.join(work, "skopeo-oci")
for r in range(runs):
    berth_fresh()
    times["berth"].append(timed(berth, "image", "pull", "--progress", "quiet", image))
    docker_fresh()
    times["docker"].append(timed(docker, "pull", "-q", image))
    shutil.rmtree(oci, ignore_errors=True)
    times["skopeo"].append(timed("skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{image}", f"oci:{oci}:x"))
    print(f"round {r + 1}: berth {times['berth'][-1]:.2f}s  docker {times['docker'][-1]:.2f}s  "
          f"skopeo {times['skopeo'][-1]:.2f}s", file=sys.stderr)
peak = kib("VmHWM")
present = []
for _ in range(max(5, runs)):
    subprocess.run([berth, "image", "rm", f"{registry}/bench/debian:2"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    present.append(timed(berth, "image", "pull", "--progress", "quiet", f"{registry}/bench/debian:2"))
docker_fresh()
shutil.rmtree(oci, ignore_errors=True)
b, d, s = (statistics.median(times[k]) for k in ("berth", "docker", "skopeo"))
print(f"cold pull, median of {runs}: berth {b:.2f}s, docker pull {d:.2f}s, skopeo copy {s:.2f}s")
print(f"ratio docker/berth: {d / b:.2f}x (target >= 1.5x); skopeo/berth: {s / b:.2f}x")
print(f"all layers present (new tag), median of {len(present)}: {statistics.median(present) * 1000:.0f} ms (target < 100 ms)")
print(f"berthd resident: {rss_before / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB; "
      f"growth {(peak - rss_before) / 1024:.1f} MiB (target < 32 MiB)")
PY
